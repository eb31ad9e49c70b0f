package eval

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// TaskSpec describes a task for listings and results files.
type TaskSpec struct {
	Name        string
	Version     string // bumped whenever the requests a task builds change
	Description string // one line
	Dataset     string // where the data comes from, e.g. a Hugging Face dataset id
	Metrics     []Metric
	// Variant is the name of the prompt variant the task was built with
	// (the default variant's name when none was asked for), written into
	// the results file's configs.
	Variant string
	// Kind is the kind of request the task sends.
	Kind RequestKind
	// ZeroShotOnly is set for tasks that have no few-shot form
	// (Instances fails for k ≠ 0).
	ZeroShotOnly bool
	// Decoding, when set, is the decoding rule a user chose for the task
	// (a suite's decoding key, kshot run --decoding): the runner gives it
	// to every Generate request in place of the task's own rule, so the
	// request hash, the cache key and the results' rule follow it.
	Decoding *Decoding
}

// RequestKind names one of the closed set of request kinds.
type RequestKind int

// The request kinds, one per Request type.
const (
	KindLoglikelihood RequestKind = iota + 1
	KindRolling
	KindMultipleChoice
	KindGenerate
)

// String returns the kind's name as lm-evaluation-harness's output_type
// spells it.
func (k RequestKind) String() string {
	switch k {
	case KindLoglikelihood:
		return "loglikelihood"
	case KindRolling:
		return "loglikelihood_rolling"
	case KindMultipleChoice:
		return "multiple_choice"
	case KindGenerate:
		return "generate_until"
	}
	return fmt.Sprintf("RequestKind(%d)", int(k))
}

// KindOf returns the kind of r.
func KindOf(r Request) RequestKind {
	switch r.(type) {
	case Loglikelihood:
		return KindLoglikelihood
	case Rolling:
		return KindRolling
	case MultipleChoice:
		return KindMultipleChoice
	case Generate:
		return KindGenerate
	}
	panic(fmt.Sprintf("eval: KindOf: unknown request type %T", r))
}

// Instance is one evaluated document with the requests built for it.
type Instance struct {
	DocID    int       // index of the document in the evaluated split
	Doc      any       // the document, logged in the samples file
	Target   string    // the gold answer as text, logged in the samples file
	Requests []Request // scored together; responses come back in order
}

// Task turns documents into requests and scores the responses.
type Task interface {
	Spec() TaskSpec
	// Instances builds the requests of every evaluated document with k
	// few-shot examples drawn with the given seed.
	Instances(k int, seed uint64) ([]Instance, error)
	// Score returns one document's statistics per metric name, given the
	// responses to its requests.
	Score(inst Instance, resps []Response) (map[string][]float64, error)
}

// FewShot holds the pieces of a k-shot prompt: Description, then k
// examples each written as text + TargetDelimiter + target and followed by
// FewshotDelimiter, then the query (lm-evaluation-harness's layout).
type FewShot struct {
	Description      string
	TargetDelimiter  string // between an example's text and its target; " " by default
	FewshotDelimiter string // after each example; "\n\n" by default
}

// DefaultFewShot returns lm-evaluation-harness's default delimiters.
func DefaultFewShot() FewShot { return FewShot{TargetDelimiter: " ", FewshotDelimiter: "\n\n"} }

// Example is a solved document shown in a few-shot prompt.
type Example struct {
	Text, Target string
}

// Prompt returns the context of a query preceded by the examples, built
// in one buffer. It is kshot's only few-shot renderer.
func (f FewShot) Prompt(examples []Example, query string) string {
	n := len(f.Description) + len(query)
	for _, e := range examples {
		n += len(e.Text) + len(f.TargetDelimiter) + len(e.Target) + len(f.FewshotDelimiter)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(f.Description)
	for _, e := range examples {
		b.WriteString(e.Text)
		b.WriteString(f.TargetDelimiter)
		b.WriteString(e.Target)
		b.WriteString(f.FewshotDelimiter)
	}
	b.WriteString(query)
	return b.String()
}

// PromptParts is a few-shot prompt before FewShot.Prompt joins it: the
// layout, the solved examples and the query. A generation request keeps
// them (Generate.Parts) so that a chat endpoint can send the examples as
// alternating user and assistant turns (lm-evaluation-harness's
// fewshot_as_multiturn); String is the joined prompt.
type PromptParts struct {
	FewShot  FewShot
	Examples []Example
	Query    string
}

// Parts returns the parts that Prompt(examples, query) joins.
func (f FewShot) Parts(examples []Example, query string) *PromptParts {
	return &PromptParts{FewShot: f, Examples: examples, Query: query}
}

// String returns the joined prompt, FewShot.Prompt(Examples, Query).
func (p *PromptParts) String() string { return p.FewShot.Prompt(p.Examples, p.Query) }

// FewShotDraw is the seeded sequence of distinct indices into a pool of
// few-shot examples from which one document's examples are taken, drawn on
// demand: its first k items are the document's k-shot examples whatever
// k, so a prompt can take examples until the model's window is full
// without drawing (or rendering) more. It is kshot's only few-shot
// sampler; SampleFewShot is its first k items.
//
// The draw depends only on the seed and the document's ID, not on which
// other documents are evaluated, so a shard of a run draws the same
// examples as the whole run: a PCG generator seeded (seed, docID) picks
// uniform indices in [0, poolSize), skipping the excluded one and repeats.
type FewShotDraw struct {
	rng     *rand.Rand
	size    int
	exclude int
	avail   int
	seen    map[int]bool
	idx     []int
}

// NewFewShotDraw returns the draw of document docID from a pool of
// poolSize examples that never yields exclude (pass -1 when the pool is
// another split than the evaluated one).
func NewFewShotDraw(poolSize, exclude int, seed uint64, docID int) *FewShotDraw {
	avail := poolSize
	if exclude >= 0 && exclude < poolSize {
		avail--
	}
	return &FewShotDraw{rng: rand.New(rand.NewPCG(seed, uint64(docID))), size: poolSize, exclude: exclude, avail: avail, seen: map[int]bool{}}
}

// Avail returns the length of the whole sequence: the pool's size, less
// the excluded document when it is in the pool.
func (d *FewShotDraw) Avail() int { return d.avail }

// Has reports whether the sequence has an item at position n (counted
// from 0), drawing up to it when needed.
func (d *FewShotDraw) Has(n int) bool {
	for len(d.idx) <= n {
		if len(d.idx) >= d.avail {
			return false
		}
		i := d.rng.IntN(d.size)
		if i == d.exclude || d.seen[i] {
			continue
		}
		d.seen[i] = true
		d.idx = append(d.idx, i)
	}
	return true
}

// First returns the first n items of the sequence, drawing them when
// needed. It panics when n exceeds Avail (a caller's bug: check Avail).
// The slice is the draw's own; do not modify it.
func (d *FewShotDraw) First(n int) []int {
	if n > 0 && !d.Has(n-1) {
		panic(fmt.Sprintf("eval: FewShotDraw.First(%d) of a sequence of %d", n, d.avail))
	}
	return d.idx[:n:n]
}

// SampleFewShot returns the first k items of NewFewShotDraw(poolSize,
// exclude, seed, docID): k distinct indices into the pool, never exclude,
// or an error when the pool holds fewer than k examples.
func SampleFewShot(poolSize, k, exclude int, seed uint64, docID int) ([]int, error) {
	d := NewFewShotDraw(poolSize, exclude, seed, docID)
	if k > d.Avail() {
		return nil, fmt.Errorf("%d-shot needs %d examples but the few-shot pool has only %d (lower --shots)", k, k, d.Avail())
	}
	return append([]int(nil), d.First(k)...), nil
}
