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
	Samples     []Sample
	Duration    time.Duration
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
			insts, err := t.Instances(k, opt.Seed)
			if err != nil {
				return out, fmt.Errorf("task %s (%d-shot): %w", spec.Name, k, err)
			}
			total := len(insts)
			if opt.Limit > 0 && opt.Limit < len(insts) {
				insts = insts[:opt.Limit]
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
			key := ResultKey(spec.Name, k)
			var progress func(done, total int)
			if opt.Progress != nil {
				progress = func(done, total int) { opt.Progress(key, done, total) }
			}
			resps, err := scoreRequests(ctx, lm, insts, opt.BatchSize, progress)
			if err != nil {
				return out, fmt.Errorf("task %s (%d-shot): %w", spec.Name, k, err)
			}
			res, err := scoreTask(t, insts, resps, opt)
			if err != nil {
				return out, fmt.Errorf("task %s (%d-shot): %w", spec.Name, k, err)
			}
			res.Key, res.Shots, res.NTotal, res.RequestHash = key, k, total, taskHash
			res.Duration = time.Since(start)
			out = append(out, res)
		}
	}
	return out, nil
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

// slot locates one model request inside the instances.
type slot struct{ inst, req, opt int }

// ScoreRequests sends every request of insts to lm in batches of
// batchSize, grouped by kind and sorted longest first, and returns the
// responses in instance order.
func ScoreRequests(ctx context.Context, lm LanguageModel, insts []Instance, batchSize int) ([][]Response, error) {
	return scoreRequests(ctx, lm, insts, batchSize, nil)
}

func scoreRequests(ctx context.Context, lm LanguageModel, insts []Instance, batchSize int, progress func(done, total int)) ([][]Response, error) {
	var ll []Loglikelihood
	var llAt []slot
	var rl []Rolling
	var rlAt []slot
	var gen []Generate
	var genAt []slot
	resps := make([][]Response, len(insts))
	choice := make(map[[2]int][]LoglikelihoodResult)
	for i, in := range insts {
		resps[i] = make([]Response, len(in.Requests))
		for j, r := range in.Requests {
			switch r := r.(type) {
			case Loglikelihood:
				ll, llAt = append(ll, r), append(llAt, slot{i, j, -1})
			case MultipleChoice:
				if len(r.Options) == 0 {
					return nil, fmt.Errorf("document %d: multiple-choice request with no options", in.DocID)
				}
				choice[[2]int{i, j}] = make([]LoglikelihoodResult, len(r.Options))
				for o, opt := range r.Options {
					ll, llAt = append(ll, opt), append(llAt, slot{i, j, o})
				}
			case Rolling:
				rl, rlAt = append(rl, r), append(rlAt, slot{i, j, -1})
			case Generate:
				gen, genAt = append(gen, r), append(genAt, slot{i, j, -1})
			default:
				panic(fmt.Sprintf("eval: unknown request type %T", r))
			}
		}
	}
	total, done := len(ll)+len(rl)+len(gen), 0
	batched := func(order []int, size int, f func(idx []int) error) error {
		if progress != nil && done == 0 {
			progress(0, total)
		}
		return batchedCalls(order, size, func(idx []int) error {
			if err := f(idx); err != nil {
				return err
			}
			done += len(idx)
			if progress != nil {
				progress(done, total)
			}
			return nil
		})
	}
	// Loglikelihood: options sharing a context stay adjacent so that the
	// model can reuse the context's computation.
	order := sortedOrder(len(ll), func(a, b int) bool {
		ca, cb := ll[a].Context, ll[b].Context
		if len(ca) != len(cb) {
			return len(ca) > len(cb)
		}
		if ca != cb {
			return ca < cb
		}
		return len(ll[a].Continuation) > len(ll[b].Continuation)
	})
	err := batched(order, batchSize, func(idx []int) error {
		reqs := make([]Loglikelihood, len(idx))
		for k, i := range idx {
			reqs[k] = ll[i]
		}
		out, err := lm.Loglikelihood(ctx, reqs)
		if err != nil {
			return err
		}
		if len(out) != len(reqs) {
			return fmt.Errorf("model returned %d results for %d loglikelihood requests", len(out), len(reqs))
		}
		for k, i := range idx {
			s := llAt[i]
			if s.opt < 0 {
				resps[s.inst][s.req] = out[k]
			} else {
				choice[[2]int{s.inst, s.req}][s.opt] = out[k]
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for key, opts := range choice {
		resps[key[0]][key[1]] = ChoiceResult{Options: opts}
	}
	order = sortedOrder(len(rl), func(a, b int) bool { return len(rl[a].Text) > len(rl[b].Text) })
	err = batched(order, batchSize, func(idx []int) error {
		reqs := make([]Rolling, len(idx))
		for k, i := range idx {
			reqs[k] = rl[i]
		}
		out, err := lm.Rolling(ctx, reqs)
		if err != nil {
			return err
		}
		if len(out) != len(reqs) {
			return fmt.Errorf("model returned %d results for %d rolling requests", len(out), len(reqs))
		}
		for k, i := range idx {
			resps[rlAt[i].inst][rlAt[i].req] = out[k]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	order = sortedOrder(len(gen), func(a, b int) bool { return len(gen[a].Context) > len(gen[b].Context) })
	err = batched(order, batchSize, func(idx []int) error {
		reqs := make([]Generate, len(idx))
		for k, i := range idx {
			reqs[k] = gen[i]
		}
		out, err := lm.Generate(ctx, reqs)
		if err != nil {
			return err
		}
		if len(out) != len(reqs) {
			return fmt.Errorf("model returned %d results for %d generation requests", len(out), len(reqs))
		}
		for k, i := range idx {
			resps[genAt[i].inst][genAt[i].req] = out[k]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resps, nil
}

// sortedOrder returns 0..n-1 stably sorted by less.
func sortedOrder(n int, less func(a, b int) bool) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool { return less(order[x], order[y]) })
	return order
}

func batchedCalls(order []int, size int, f func(idx []int) error) error {
	for i := 0; i < len(order); i += size {
		if err := f(order[i:min(i+size, len(order))]); err != nil {
			return err
		}
	}
	return nil
}
