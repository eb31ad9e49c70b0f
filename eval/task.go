package eval

import (
	"fmt"
	"math/rand/v2"
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

// Prompt returns the context of a query preceded by the examples.
func (f FewShot) Prompt(examples []Example, query string) string {
	s := f.Description
	for _, e := range examples {
		s += e.Text + f.TargetDelimiter + e.Target + f.FewshotDelimiter
	}
	return s + query
}

// SampleFewShot draws k distinct indices from a pool of poolSize examples,
// never exclude (pass -1 when the pool is another split than the
// evaluated one). The draw depends only on seed and docID, not on which
// other documents are evaluated, so a shard of a run draws the same
// examples as the whole run.
func SampleFewShot(poolSize, k, exclude int, seed uint64, docID int) ([]int, error) {
	avail := poolSize
	if exclude >= 0 && exclude < poolSize {
		avail--
	}
	if k > avail {
		return nil, fmt.Errorf("%d-shot needs %d examples but the few-shot pool has only %d (lower --shots)", k, k, avail)
	}
	rng := rand.New(rand.NewPCG(seed, uint64(docID)))
	picked := make([]int, 0, k)
	seen := map[int]bool{}
	for len(picked) < k {
		i := rng.IntN(poolSize)
		if i == exclude || seen[i] {
			continue
		}
		seen[i] = true
		picked = append(picked, i)
	}
	return picked, nil
}
