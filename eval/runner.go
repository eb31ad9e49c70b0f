package eval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"
)

// Options control an evaluation run.
type Options struct {
	Shots          []int  // few-shot counts; each task runs once per k
	Seed           uint64 // few-shot sampling and bootstrap seed
	BatchSize      int    // requests per model call (default 32)
	Limit          int    // evaluate only the first Limit documents (0: all)
	BootstrapIters int    // bootstrap resamples for corpus metrics' stderr
	// Shard and Shards select a deterministic part of every task's
	// documents: those with DocID % Shards == Shard. Shards 0 means all.
	Shard, Shards int
	Log           io.Writer
	// Progress, when set, is called as requests complete: done of total
	// model requests of the task being scored.
	Progress func(task string, done, total int)
	// Stop, when set, asks for a clean stop once it is closed: Evaluate
	// then sends no further batch (the one in flight is answered, so a
	// caching model keeps it), builds no further prompts, and returns the
	// tasks finished so far with a *StoppedError.
	Stop <-chan struct{}
}

// TaskResult is one task evaluated at one k.
type TaskResult struct {
	Key         string // results key: the task name, with "_<k>shot" for k > 0
	Spec        TaskSpec
	Shots       int
	NDocs       int // documents evaluated
	NTotal      int // documents in the split
	Metrics     []MetricResult
	RequestHash string // prompt-stability hash of the built requests
	// Decoding is the rule of the task's Generate requests
	// (Decoding.String(), the distinct ones joined by "; "), "" for a
	// task that does not generate.
	Decoding string
	Samples  []Sample
	Duration time.Duration
}

// InShard reports whether document docID belongs to shard i of n (n 0:
// no sharding).
func InShard(docID, i, n int) bool { return n <= 1 || docID%n == i }

// MetricResult is one metric's aggregate over a task.
type MetricResult struct {
	Name           string
	HigherIsBetter bool
	Aggregate
}

// Sample is one document's log entry.
type Sample struct {
	DocID     int                  `json:"doc_id"`
	Doc       any                  `json:"doc"`
	Target    string               `json:"target"`
	Arguments []Request            `json:"arguments"`
	Responses []Response           `json:"resps"`
	Metrics   map[string]float64   `json:"metrics"`
	Stats     map[string][]float64 `json:"stats"`
	// RequestHash is InstanceHash of the document's requests.
	RequestHash string `json:"request_hash"`
}

// ResultKey names a task evaluated with k examples in results files.
func ResultKey(task string, k int) string {
	if k == 0 {
		return task
	}
	return fmt.Sprintf("%s_%sshot", task, ShotsLabel(k))
}

// InstanceHash returns the SHA-256 (hex) of the JSON of an instance's doc
// id and requests.
func InstanceHash(in Instance) string {
	b, err := json.Marshal(struct {
		DocID    int
		Requests []requestJSON
	}{in.DocID, requestsJSON(in.Requests)})
	if err != nil {
		panic(fmt.Sprintf("eval: hashing requests of document %d: %v", in.DocID, err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// CombineHashes returns the task-level prompt-stability hash from the
// instance hashes in document order: SHA-256 of their lines.
func CombineHashes(hashes []string) string {
	h := sha256.New()
	for _, x := range hashes {
		io.WriteString(h, x+"\n")
	}
	return hex.EncodeToString(h.Sum(nil))
}

// RequestHash returns the prompt-stability hash of instances (see
// CombineHashes and InstanceHash).
func RequestHash(insts []Instance) string {
	hs := make([]string, len(insts))
	for i, in := range insts {
		hs[i] = InstanceHash(in)
	}
	return CombineHashes(hs)
}

// Evaluate runs every task at every k on lm.
func Evaluate(ctx context.Context, lm LanguageModel, tasks []Task, opt Options) ([]TaskResult, error) {
	if opt.BatchSize <= 0 {
		opt.BatchSize = 32
	}
	shots := opt.Shots
	if len(shots) == 0 {
		shots = []int{0}
	}
	var out []TaskResult
	for _, t := range tasks {
		for _, k := range shots {
			start := time.Now()
			spec := t.Spec()
			if err := CheckShots(t, k); err != nil {
				return out, err
			}
			key := ResultKey(spec.Name, k)
			insts, err := buildInstances(opt.Stop, t, k, opt.Seed)
			if err != nil {
				return out, taskError(spec.Name, key, k, err)
			}
			total := len(insts)
			if opt.Limit > 0 && opt.Limit < len(insts) {
				insts = insts[:opt.Limit]
			}
			rules, err := seedDecoding(insts, spec.Decoding, opt.Seed)
			if err != nil {
				return out, taskError(spec.Name, key, k, err)
			}
			hashes := make([]string, len(insts))
			for i, in := range insts {
				hashes[i] = InstanceHash(in)
			}
			taskHash := CombineHashes(hashes)
			var mine []Instance
			for _, in := range insts {
				if InShard(in.DocID, opt.Shard, opt.Shards) {
					mine = append(mine, in)
				}
			}
			insts = mine
			if opt.Log != nil {
				fmt.Fprintf(opt.Log, "kshot: %s %d-shot: %d documents\n", spec.Name, k, len(insts))
			}
			var progress func(done, total int)
			if opt.Progress != nil {
				progress = func(done, total int) { opt.Progress(key, done, total) }
			}
			resps, err := scoreRequests(ctx, lm, insts, opt.BatchSize, opt.Stop, progress)
			if err != nil {
				return out, taskError(spec.Name, key, k, err)
			}
			res, err := scoreTask(t, insts, resps, opt)
			if err != nil {
				return out, taskError(spec.Name, key, k, err)
			}
			res.Key, res.Shots, res.NTotal, res.RequestHash, res.Decoding = key, k, total, taskHash, rules
			res.Duration = time.Since(start)
			out = append(out, res)
		}
	}
	return out, nil
}

// taskError names the task and k in err; a *StoppedError gets the task's
// key instead and is returned as is.
func taskError(name, key string, k int, err error) error {
	var se *StoppedError
	if errors.As(err, &se) {
		se.Key = key
		return se
	}
	return fmt.Errorf("task %s (%s-shot): %w", name, ShotsLabel(k), err)
}

func scoreTask(t Task, insts []Instance, resps [][]Response, opt Options) (TaskResult, error) {
	spec := t.Spec()
	res := TaskResult{Spec: spec, NDocs: len(insts)}
	stats := make(map[string][][]float64)
	for i, in := range insts {
		s, err := t.Score(in, resps[i])
		if err != nil {
			return res, fmt.Errorf("document %d: %w", in.DocID, err)
		}
		sample := Sample{DocID: in.DocID, Doc: in.Doc, Target: in.Target, Arguments: in.Requests,
			Responses: resps[i], Metrics: map[string]float64{}, Stats: s, RequestHash: InstanceHash(in)}
		for _, m := range spec.Metrics {
			v, ok := s[m.Name]
			if !ok {
				return res, fmt.Errorf("document %d: task gave no %q statistics", in.DocID, m.Name)
			}
			stats[m.Name] = append(stats[m.Name], v)
			if !m.Corpus {
				sample.Metrics[m.Name] = m.Score(v)
			}
		}
		res.Samples = append(res.Samples, sample)
	}
	for _, m := range spec.Metrics {
		agg, err := AggregateMetric(m, stats[m.Name], opt.BootstrapIters, opt.Seed)
		if errors.Is(err, ErrNoDocuments) && opt.Shards > 1 {
			// A shard may hold none of a small task's documents; kshot
			// merge scores the task over all shards.
			agg.Warnings = append(agg.Warnings, fmt.Sprintf("%s: this shard holds no documents of the task", m.Name))
		} else if errors.Is(err, ErrNoDocuments) {
			return res, fmt.Errorf("%w (is the data file empty?)", err)
		} else if err != nil {
			return res, err
		}
		res.Metrics = append(res.Metrics, MetricResult{Name: m.Name, HigherIsBetter: m.HigherIsBetter, Aggregate: agg})
	}
	return res, nil
}

// ScoreRequests sends every request of insts to lm in batches of
// batchSize, grouped by kind and sorted longest first, and returns the
// responses in instance order.
func ScoreRequests(ctx context.Context, lm LanguageModel, insts []Instance, batchSize int) ([][]Response, error) {
	return scoreRequests(ctx, lm, insts, batchSize, nil, nil)
}

// call is one model request of an instance: a Loglikelihood, Rolling or
// Generate request (a MultipleChoice becomes one Loglikelihood call per
// option) and where its response goes.
type call struct {
	req       Request
	kind      *requestKind
	inst, pos int // instance and request index
	opt       int // option of a MultipleChoice, -1 for the other kinds
}

// requestKind is what the runner knows of one kind of model request: its
// place in the run (all loglikelihood calls first, then rolling, then
// generation), how its requests are sorted, and how a batch of them is
// sent to the model.
type requestKind struct {
	rank int
	// longer reports whether a is to be sent before b: longest first, so
	// that a batch holds requests of similar length and the first batch
	// shows the worst memory use at once.
	longer func(a, b Request) bool
	send   func(ctx context.Context, lm LanguageModel, batch []Request) ([]Response, error)
}

var (
	loglikelihoodKind = &requestKind{rank: 0,
		// Options sharing a context stay adjacent so that the model can
		// reuse the context's computation.
		longer: func(a, b Request) bool {
			x, y := a.(Loglikelihood), b.(Loglikelihood)
			if len(x.Context) != len(y.Context) {
				return len(x.Context) > len(y.Context)
			}
			if x.Context != y.Context {
				return x.Context < y.Context
			}
			return len(x.Continuation) > len(y.Continuation)
		},
		send: func(ctx context.Context, lm LanguageModel, batch []Request) ([]Response, error) {
			out, err := lm.Loglikelihood(ctx, requestsAs[Loglikelihood](batch))
			return responsesOf(out, err, len(batch), "loglikelihood")
		}}
	rollingKind = &requestKind{rank: 1,
		longer: func(a, b Request) bool { return len(a.(Rolling).Text) > len(b.(Rolling).Text) },
		send: func(ctx context.Context, lm LanguageModel, batch []Request) ([]Response, error) {
			out, err := lm.Rolling(ctx, requestsAs[Rolling](batch))
			return responsesOf(out, err, len(batch), "rolling")
		}}
	generateKind = &requestKind{rank: 2,
		longer: func(a, b Request) bool { return len(a.(Generate).Context) > len(b.(Generate).Context) },
		send: func(ctx context.Context, lm LanguageModel, batch []Request) ([]Response, error) {
			out, err := lm.Generate(ctx, requestsAs[Generate](batch))
			return responsesOf(out, err, len(batch), "generation")
		}}
)

// kindOf is the one dispatch on request kind of the runner.
func kindOf(r Request) *requestKind {
	switch r.(type) {
	case Loglikelihood:
		return loglikelihoodKind
	case Rolling:
		return rollingKind
	case Generate:
		return generateKind
	}
	panic(fmt.Sprintf("eval: %T is not a model request kind", r))
}

// requestsAs returns the requests of a batch of one kind as that type.
func requestsAs[R Request](batch []Request) []R {
	out := make([]R, len(batch))
	for i, r := range batch {
		out[i] = r.(R)
	}
	return out
}

// responsesOf returns a model's typed results as Responses, checking that
// there is one per request.
func responsesOf[R Response](out []R, err error, n int, kind string) ([]Response, error) {
	if err != nil {
		return nil, err
	}
	if len(out) != n {
		return nil, fmt.Errorf("model returned %d results for %d %s requests", len(out), n, kind)
	}
	resps := make([]Response, n)
	for i, r := range out {
		resps[i] = r
	}
	return resps, nil
}

// scoreRequests is ScoreRequests reporting progress and checking stop
// before every batch.
func scoreRequests(ctx context.Context, lm LanguageModel, insts []Instance, batchSize int, stop <-chan struct{}, progress func(done, total int)) ([][]Response, error) {
	if batchSize <= 0 {
		batchSize = 32
	}
	resps := make([][]Response, len(insts))
	var calls []call
	for i, in := range insts {
		resps[i] = make([]Response, len(in.Requests))
		for j, r := range in.Requests {
			mc, ok := r.(MultipleChoice)
			if !ok {
				calls = append(calls, call{req: r, kind: kindOf(r), inst: i, pos: j, opt: -1})
				continue
			}
			if len(mc.Options) == 0 {
				return nil, fmt.Errorf("document %d: multiple-choice request with no options", in.DocID)
			}
			resps[i][j] = ChoiceResult{Options: make([]LoglikelihoodResult, len(mc.Options))}
			for o, opt := range mc.Options {
				calls = append(calls, call{req: opt, kind: loglikelihoodKind, inst: i, pos: j, opt: o})
			}
		}
	}
	sort.SliceStable(calls, func(a, b int) bool {
		x, y := calls[a], calls[b]
		if x.kind != y.kind {
			return x.kind.rank < y.kind.rank
		}
		return x.kind.longer(x.req, y.req)
	})
	total := len(calls)
	if progress != nil {
		progress(0, total)
	}
	batch := make([]Request, 0, batchSize)
	for start := 0; start < total; {
		end := start + 1
		for end < total && end-start < batchSize && calls[end].kind == calls[start].kind {
			end++
		}
		if stopped(stop) {
			return nil, &StoppedError{Phase: "scoring", Done: start, Total: total}
		}
		batch = batch[:0]
		for _, c := range calls[start:end] {
			batch = append(batch, c.req)
		}
		out, err := calls[start].kind.send(ctx, lm, batch)
		if err != nil {
			return nil, err
		}
		for k, c := range calls[start:end] {
			if c.opt < 0 {
				resps[c.inst][c.pos] = out[k]
				continue
			}
			r, ok := out[k].(LoglikelihoodResult)
			if !ok {
				panic(fmt.Sprintf("eval: a multiple-choice option was answered with %T", out[k]))
			}
			resps[c.inst][c.pos].(ChoiceResult).Options[c.opt] = r
		}
		start = end
		if progress != nil {
			progress(start, total)
		}
	}
	return resps, nil
}

// stopped reports whether stop is closed (never for nil).
func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// ErrStopped is what a StoppedError matches with errors.Is.
var ErrStopped = errors.New("eval: stopped")

// StoppedError is returned by Evaluate when Options.Stop closes: the
// evaluation stopped before building a task's prompts or before a batch,
// after every batch already sent to the model had been answered.
type StoppedError struct {
	Key   string // results key of the task it stopped in
	Phase string // "building prompts" or "scoring"
	// Done of Total model requests of the task had been answered.
	Done, Total int
}

func (e *StoppedError) Error() string {
	if e.Phase == "scoring" {
		return fmt.Sprintf("stopped while scoring %s (%d of %d requests answered)", e.Key, e.Done, e.Total)
	}
	return fmt.Sprintf("stopped while %s of %s", e.Phase, e.Key)
}

// Is reports whether target is ErrStopped.
func (e *StoppedError) Is(target error) bool { return target == ErrStopped }

// buildInstances calls t.Instances, returning at once when stop closes
// first. Instances takes no context, so the abandoned call then runs to
// its end in the background and its result is dropped.
func buildInstances(stop <-chan struct{}, t Task, k int, seed uint64) ([]Instance, error) {
	if stop == nil {
		return t.Instances(k, seed)
	}
	if stopped(stop) {
		return nil, &StoppedError{Phase: "building prompts"}
	}
	type built struct {
		insts []Instance
		err   error
	}
	ch := make(chan built, 1)
	go func() {
		insts, err := t.Instances(k, seed)
		ch <- built{insts, err}
	}()
	select {
	case b := <-ch:
		return b.insts, b.err
	case <-stop:
		return nil, &StoppedError{Phase: "building prompts"}
	}
}
