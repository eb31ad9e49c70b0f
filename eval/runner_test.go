package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
)

// answerLM answers every request with values derived from the request alone,
// so that a test can compute the expected response of each request itself:
//
//	loglikelihood: LogProb = -len(Continuation) - len(Context)/1000,
//	               Greedy = len(Continuation) is even, Tokens = len(Continuation)
//	rolling:       LogProb = -len(Text), Tokens = number of words of Text
//	generate:      Text = "<len(Context)>"
//
// It records every batch it receives.
type answerLM struct {
	mu      sync.Mutex
	batches []answerBatch
	// onBatch, when set, is called after each batch is answered.
	onBatch func(n int)
	// short, when set, makes a batch of that kind return one result too few.
	short string
}

// answerBatch is one call of the fake model.
type answerBatch struct {
	kind string
	reqs []Request
}

func wantLoglik(r Loglikelihood) LoglikelihoodResult {
	return LoglikelihoodResult{LogProb: -float64(len(r.Continuation)) - float64(len(r.Context))/1000,
		Greedy: len(r.Continuation)%2 == 0, Tokens: len(r.Continuation)}
}

func wantRolling(r Rolling) RollingResult {
	return RollingResult{LogProb: -float64(len(r.Text)), Tokens: len(strings.Fields(r.Text))}
}

func wantGenerate(r Generate) GenerateResult {
	return GenerateResult{Text: fmt.Sprintf("<%d>", len(r.Context))}
}

// want returns the response the fake model's answers must add up to for r.
func want(r Request) Response {
	switch r := r.(type) {
	case Loglikelihood:
		return wantLoglik(r)
	case MultipleChoice:
		c := ChoiceResult{}
		for _, o := range r.Options {
			c.Options = append(c.Options, wantLoglik(o))
		}
		return c
	case Rolling:
		return wantRolling(r)
	case Generate:
		return wantGenerate(r)
	}
	panic(fmt.Sprintf("want: %T", r))
}

func record[R Request, S any](m *answerLM, kind string, reqs []R, f func(R) S) ([]S, error) {
	m.mu.Lock()
	b := answerBatch{kind: kind}
	for _, r := range reqs {
		b.reqs = append(b.reqs, r)
	}
	m.batches = append(m.batches, b)
	n, onBatch := len(m.batches), m.onBatch
	m.mu.Unlock()
	out := make([]S, len(reqs))
	for i, r := range reqs {
		out[i] = f(r)
	}
	if m.short == kind {
		out = out[1:]
	}
	if onBatch != nil {
		onBatch(n)
	}
	return out, nil
}

func (m *answerLM) Info() ModelInfo { return ModelInfo{Name: "fake", MaxLength: 1 << 20} }

func (m *answerLM) Loglikelihood(_ context.Context, reqs []Loglikelihood) ([]LoglikelihoodResult, error) {
	return record(m, "loglikelihood", reqs, wantLoglik)
}

func (m *answerLM) Rolling(_ context.Context, reqs []Rolling) ([]RollingResult, error) {
	return record(m, "rolling", reqs, wantRolling)
}

func (m *answerLM) Generate(_ context.Context, reqs []Generate) ([]GenerateResult, error) {
	return record(m, "generate", reqs, wantGenerate)
}

// mixedInstances are documents of every request kind in an order that is
// not the runner's: short before long, kinds interleaved, one document
// with several requests, a multiple choice whose options have different
// contexts (partial scoring) and so are not adjacent once sorted.
func mixedInstances() []Instance {
	return []Instance{
		{DocID: 0, Requests: []Request{Loglikelihood{Context: "a", Continuation: " b"}}},
		{DocID: 1, Requests: []Request{Choices("the cat sat on the", " mat", " hat", " moon")}},
		{DocID: 2, Requests: []Request{Rolling{Text: "one two"}, Generate{Context: "Q: 2+2=", Until: []string{"\n"}}}},
		{DocID: 3, Requests: []Request{PartialChoices([]string{"x", "a much longer context x"}, " tail"), Rolling{Text: "one two three four"}}},
		{DocID: 4, Requests: []Request{Generate{Context: "Q"}, Loglikelihood{Context: "a longer context than the others", Continuation: " end"}}},
		{DocID: 5, Requests: []Request{Loglikelihood{Context: "", Continuation: "whole text"}}},
	}
}

// modelCalls counts the model requests of insts (one per option of a
// multiple choice) by kind.
func modelCalls(insts []Instance) map[string]int {
	n := map[string]int{}
	for _, in := range insts {
		for _, r := range in.Requests {
			switch r := r.(type) {
			case MultipleChoice:
				n["loglikelihood"] += len(r.Options)
			case Loglikelihood:
				n["loglikelihood"]++
			case Rolling:
				n["rolling"]++
			case Generate:
				n["generate"]++
			}
		}
	}
	return n
}

func TestScoreRequests(t *testing.T) {
	insts := mixedInstances()
	for _, size := range []int{1, 2, 3, 4, 100} {
		t.Run(fmt.Sprintf("batch%d", size), func(t *testing.T) {
			lm := &answerLM{}
			var progress [][2]int
			got, err := scoreRequests(context.Background(), lm, insts, size, nil, func(done, total int) {
				progress = append(progress, [2]int{done, total})
			})
			if err != nil {
				t.Fatal(err)
			}
			// Order restoration and multiple-choice mapping: every response
			// is the fake's answer to its own request.
			for i, in := range insts {
				if len(got[i]) != len(in.Requests) {
					t.Fatalf("document %d: %d responses for %d requests", in.DocID, len(got[i]), len(in.Requests))
				}
				for j, r := range in.Requests {
					if w := want(r); !reflect.DeepEqual(got[i][j], w) {
						t.Errorf("document %d request %d: got %+v, want %+v", in.DocID, j, got[i][j], w)
					}
				}
			}
			// Grouping: one kind per batch, loglikelihood first, then
			// rolling, then generation; no batch above the size; every
			// model request sent exactly once.
			rank := map[string]int{"loglikelihood": 0, "rolling": 1, "generate": 2}
			sent := map[string]int{}
			byKind := map[string][]Request{}
			for i, b := range lm.batches {
				if len(b.reqs) == 0 || len(b.reqs) > size {
					t.Errorf("batch %d holds %d requests (size %d)", i, len(b.reqs), size)
				}
				if i > 0 && rank[b.kind] < rank[lm.batches[i-1].kind] {
					t.Errorf("batch %d (%s) after a %s batch", i, b.kind, lm.batches[i-1].kind)
				}
				sent[b.kind] += len(b.reqs)
				byKind[b.kind] = append(byKind[b.kind], b.reqs...)
			}
			if w := modelCalls(insts); !reflect.DeepEqual(sent, w) {
				t.Errorf("sent %v, want %v", sent, w)
			}
			// Full batches: only the last batch of a kind may be short.
			for i := 0; i+1 < len(lm.batches); i++ {
				if lm.batches[i].kind == lm.batches[i+1].kind && len(lm.batches[i].reqs) != size {
					t.Errorf("batch %d of %s holds %d requests before another of its kind (size %d)", i, lm.batches[i].kind, len(lm.batches[i].reqs), size)
				}
			}
			// Sorting: longest context (text) first; options of one context adjacent.
			ll := byKind["loglikelihood"]
			for i := 1; i < len(ll); i++ {
				a, b := ll[i-1].(Loglikelihood), ll[i].(Loglikelihood)
				if len(a.Context) < len(b.Context) || (len(a.Context) == len(b.Context) && a.Context > b.Context) {
					t.Errorf("loglikelihood %d (context %q) sent before %d (context %q)", i-1, a.Context, i, b.Context)
				}
			}
			var firstCtx []string
			for _, r := range ll {
				c := r.(Loglikelihood).Context
				if len(firstCtx) == 0 || firstCtx[len(firstCtx)-1] != c {
					firstCtx = append(firstCtx, c)
				}
			}
			seen := map[string]bool{}
			for _, c := range firstCtx {
				if seen[c] {
					t.Errorf("requests with context %q not adjacent", c)
				}
				seen[c] = true
			}
			if rl := byKind["rolling"]; len(rl) != 2 || rl[0].(Rolling).Text != "one two three four" {
				t.Errorf("rolling order %v, want the longer text first", rl)
			}
			if g := byKind["generate"]; len(g) != 2 || g[0].(Generate).Context != "Q: 2+2=" {
				t.Errorf("generate order %v, want the longer context first", g)
			}
			// Progress: from 0 to the total, one step per batch.
			total := sent["loglikelihood"] + sent["rolling"] + sent["generate"]
			if len(progress) != len(lm.batches)+1 || progress[0] != [2]int{0, total} || progress[len(progress)-1] != [2]int{total, total} {
				t.Errorf("progress %v over %d batches, want 0/%d … %d/%d", progress, len(lm.batches), total, total, total)
			}
		})
	}
}

func TestScoreRequestsErrors(t *testing.T) {
	cases := []struct {
		name  string
		insts []Instance
		short string
		want  string
	}{
		{"no options", []Instance{{DocID: 7, Requests: []Request{MultipleChoice{}}}}, "", "document 7: multiple-choice request with no options"},
		{"short loglikelihood", mixedInstances(), "loglikelihood", "model returned 0 results for 1 loglikelihood requests"},
		{"short rolling", mixedInstances(), "rolling", "model returned 0 results for 1 rolling requests"},
		{"short generate", mixedInstances(), "generate", "model returned 0 results for 1 generation requests"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ScoreRequests(context.Background(), &answerLM{short: c.short}, c.insts, 1)
			if err == nil || err.Error() != c.want {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
}

// fakeTask has n documents, each with a multiple choice whose gold option
// is 0, a loglikelihood, a rolling and a generation request built from
// the document id and k; a document is correct when the fake model
// prefers option 0.
type fakeTask struct {
	n int
	// block, when set, makes Instances wait for it to close.
	block chan struct{}
	// built is closed when Instances starts (with block set).
	built chan struct{}
}

func (t *fakeTask) Spec() TaskSpec {
	return TaskSpec{Name: "fake", Version: "1", Metrics: []Metric{Mean("acc", true), Mean("greedy", true), Perplexity()}}
}

func (t *fakeTask) Instances(k int, seed uint64) ([]Instance, error) {
	if t.block != nil {
		close(t.built)
		<-t.block
	}
	out := make([]Instance, t.n)
	for i := range out {
		ctx := strings.Repeat("w ", 1+(i*7)%5) + fmt.Sprint(k)
		out[i] = Instance{DocID: i, Target: "x", Requests: []Request{
			Choices(ctx, strings.Repeat("y", i%3+1), strings.Repeat("z", (i+1)%3+1)),
			Loglikelihood{Context: ctx, Continuation: strings.Repeat("v", i%4)},
			Rolling{Text: strings.Repeat("r", i%3+1) + strings.Repeat(" s", i%4)},
			Generate{Context: ctx + strings.Repeat("?", i%2)},
		}}
	}
	return out, nil
}

func (t *fakeTask) Score(in Instance, resps []Response) (map[string][]float64, error) {
	c := resps[0].(ChoiceResult)
	r := resps[2].(RollingResult)
	return map[string][]float64{
		"acc":        MeanStats(Bool(c.Options[0].LogProb > c.Options[1].LogProb)),
		"greedy":     MeanStats(Bool(resps[1].(LoglikelihoodResult).Greedy)),
		"perplexity": WeightedStats(r.LogProb, float64(r.Tokens)),
	}, nil
}

func docIDs(r TaskResult) []int {
	var ids []int
	for _, s := range r.Samples {
		ids = append(ids, s.DocID)
	}
	return ids
}

// TestEvaluateLimitThenShard: the limit cuts the documents first and the
// shards split what is left; every shard carries the hash of the whole
// limited run, and the shards' documents add up to it.
func TestEvaluateLimitThenShard(t *testing.T) {
	task := &fakeTask{n: 10}
	insts, _ := task.Instances(0, 1)
	wantHash := RequestHash(insts[:7])
	var all []int
	for i := 0; i < 3; i++ {
		rs, err := Evaluate(context.Background(), &answerLM{}, []Task{task}, Options{Limit: 7, Shard: i, Shards: 3, BatchSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		r := rs[0]
		if r.RequestHash != wantHash || r.NTotal != 10 || r.NDocs != len(r.Samples) {
			t.Errorf("shard %d: hash %s (want %s), NTotal %d, NDocs %d", i, r.RequestHash, wantHash, r.NTotal, r.NDocs)
		}
		for _, id := range docIDs(r) {
			if id%3 != i {
				t.Errorf("shard %d/3 holds document %d", i, id)
			}
		}
		all = append(all, docIDs(r)...)
	}
	sort.Ints(all)
	if !reflect.DeepEqual(all, []int{0, 1, 2, 3, 4, 5, 6}) {
		t.Errorf("shards hold documents %v, want 0…6", all)
	}
}

// TestEvaluateBatchSize: the batch size changes neither responses nor
// metrics, which equal the values computed here from the fake's formula.
func TestEvaluateBatchSize(t *testing.T) {
	task := &fakeTask{n: 9}
	insts, _ := task.Instances(2, 1)
	acc, greedy, ll, toks := 0.0, 0.0, 0.0, 0.0
	for _, in := range insts {
		c := in.Requests[0].(MultipleChoice)
		acc += Bool(wantLoglik(c.Options[0]).LogProb > wantLoglik(c.Options[1]).LogProb)
		greedy += Bool(wantLoglik(in.Requests[1].(Loglikelihood)).Greedy)
		r := wantRolling(in.Requests[2].(Rolling))
		ll, toks = ll+r.LogProb, toks+float64(r.Tokens)
	}
	wantMetrics := map[string]float64{"acc": acc / 9, "greedy": greedy / 9, "perplexity": math.Exp(-ll / toks)}
	var first []TaskResult
	for _, size := range []int{1, 3, 8, 1000} {
		rs, err := Evaluate(context.Background(), &answerLM{}, []Task{task}, Options{Shots: []int{2}, BatchSize: size, BootstrapIters: 50})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range rs[0].Metrics {
			if m.Value != wantMetrics[m.Name] {
				t.Errorf("batch %d: %s = %v, want %v", size, m.Name, m.Value, wantMetrics[m.Name])
			}
		}
		if rs[0].Key != "fake_2shot" {
			t.Errorf("key %q", rs[0].Key)
		}
		for i := range rs {
			rs[i].Duration, rs[i].Spec = 0, TaskSpec{} // the spec holds functions, never DeepEqual
		}
		if first == nil {
			first = rs
		} else if !reflect.DeepEqual(rs, first) {
			t.Errorf("batch %d: results differ from batch 1", size)
		}
	}
}

// TestEvaluateStop: a stop asked for during a batch lets that batch be
// answered and sends no other; a stop asked for while prompts are being
// built returns without waiting for them. Tasks finished before the stop
// are returned.
func TestEvaluateStop(t *testing.T) {
	t.Run("scoring", func(t *testing.T) {
		stop := make(chan struct{})
		lm := &answerLM{}
		// The second task's second batch asks for the stop.
		calls := modelCalls(func() []Instance { in, _ := (&fakeTask{n: 4}).Instances(0, 1); return in }())
		perTask := (calls["loglikelihood"]+2)/3 + (calls["rolling"]+2)/3 + (calls["generate"]+2)/3
		lm.onBatch = func(n int) {
			if n == perTask+2 {
				close(stop)
			}
		}
		rs, err := Evaluate(context.Background(), lm, []Task{&fakeTask{n: 4}, &fakeTask{n: 4}, &fakeTask{n: 4}}, Options{BatchSize: 3, Stop: stop})
		var se *StoppedError
		if !errors.As(err, &se) || !errors.Is(err, ErrStopped) {
			t.Fatalf("got %v, want a *StoppedError", err)
		}
		if *se != (StoppedError{Key: "fake", Phase: "scoring", Done: 6, Total: 4 * 5}) {
			t.Errorf("got %+v", *se)
		}
		if len(rs) != 1 || len(lm.batches) != perTask+2 {
			t.Errorf("%d tasks finished and %d batches sent, want 1 and %d", len(rs), len(lm.batches), perTask+2)
		}
	})
	t.Run("building prompts", func(t *testing.T) {
		stop, block := make(chan struct{}), make(chan struct{})
		defer close(block)
		task := &fakeTask{n: 4, block: block, built: make(chan struct{})}
		go func() {
			<-task.built
			close(stop)
		}()
		// Instances never returns before Evaluate does: Evaluate must not
		// wait for it.
		rs, err := Evaluate(context.Background(), &answerLM{}, []Task{task}, Options{Stop: stop})
		var se *StoppedError
		if !errors.As(err, &se) || se.Phase != "building prompts" || se.Key != "fake" || len(rs) != 0 {
			t.Errorf("got %v %v, want a stop while building the prompts of fake", rs, err)
		}
	})
}
