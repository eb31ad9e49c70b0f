package tasks

import (
	"errors"
	"fmt"

	"github.com/kshot-eval/kshot/eval"
)

// window holds the context window that eval.ShotsMax examples are packed
// into; a task that embeds it is an eval.WindowedTask.
type window struct{ win eval.ContextWindow }

// SetContextWindow implements eval.WindowedTask.
func (w *window) SetContextWindow(c eval.ContextWindow) { w.win = c }

// docError names a document in an error about it.
func docError(task string, docID int, where string, err error) error {
	if where != "" {
		return fmt.Errorf("task %s, document %d (%s): %w", task, docID, where, err)
	}
	return fmt.Errorf("task %s, document %d: %w", task, docID, err)
}

// errNoWindow is returned for eval.ShotsMax before SetContextWindow.
var errNoWindow = errors.New("--shots max needs the model's context window, which was not set (eval.SetContextWindow)")

// sampler takes the few-shot examples of each document of one Instances
// call from a pool of solved examples rendered with fs. Each document's
// examples are the first k of its eval.FewShotDraw. With a window whose
// count is exact, a fixed k is checked against it: examples are drawn and
// rendered only until the window is full, so a prompt costs memory in
// proportion to the window, not to k, and a k that does not fit every
// document ends the call with an *eval.ShotsError (see err).
type sampler struct {
	task string
	fs   eval.FewShot
	pool []eval.Example
	k    int
	seed uint64
	win  eval.ContextWindow
	cost []int // tokens of each pool item's rendering, 0 until counted

	docs  int             // documents drawn for
	short eval.ShotsError // documents whose k-shot prompt does not fit
}

// sampler returns the sampler of one Instances call with k examples
// (eval.ShotsMax: as many as fit).
func (w *window) sampler(task string, fs eval.FewShot, pool []eval.Example, k int, seed uint64) (*sampler, error) {
	if k < 0 && k != eval.ShotsMax {
		return nil, fmt.Errorf("task %s: %d is not a valid number of examples", task, k)
	}
	if k == eval.ShotsMax && (w.win.Tokens <= 0 || w.win.Count == nil) {
		return nil, fmt.Errorf("task %s: %w", task, errNoWindow)
	}
	return &sampler{task: task, fs: fs, pool: pool, k: k, seed: seed, win: w.win, cost: make([]int, len(pool)),
		short: eval.ShotsError{Task: task, Shots: k, Window: w.win.Tokens, Fit: k}}, nil
}

// fit is what must fit in the window after the examples: tail (the query,
// for multiple choice the longest option's context and continuation) and
// reserve tokens (a generation budget).
type fit struct {
	tail    string
	reserve int
}

// budget returns the tokens the prompt may take: the window less the
// generation budget, which the model caps at one token less than the
// window (eval.TokenLM.Generate).
func (s *sampler) budget(f fit) int {
	return s.win.Tokens - min(f.reserve, s.win.Tokens-1)
}

// checked reports whether a fixed k is checked against the window: the
// window is set and counts exactly.
func (s *sampler) checked() bool {
	return s.win.Tokens > 0 && s.win.Count != nil && !s.win.Approx
}

// draw returns the examples of document docID, never pool item exclude
// (-1 when the pool is not the evaluated split); the caller renders
// fs.Prompt(examples, query). When the k-shot prompt does not fit, draw
// records the document for err and returns the examples that fit.
func (s *sampler) draw(docID, exclude int, where string, f fit) ([]eval.Example, error) {
	seq := eval.NewFewShotDraw(len(s.pool), exclude, s.seed, docID)
	s.docs++
	if s.k == eval.ShotsMax {
		return s.pick(seq.First(s.pack(seq, f, seq.Avail()))), nil
	}
	if s.k > seq.Avail() {
		_, err := eval.SampleFewShot(len(s.pool), s.k, exclude, s.seed, docID)
		return nil, docError(s.task, docID, where, err)
	}
	if s.k == 0 || !s.checked() {
		return s.pick(seq.First(s.k)), nil
	}
	// A prompt a little too long keeps its k examples and is cut from
	// the left like any long context (the loglikelihood contract); one
	// whose examples alone pass twice the window is never rendered.
	bound := 2 * s.budget(f)
	cost := s.examplesCost(seq, bound)
	n := s.fits(seq, f, cost)
	if n < s.k {
		if s.short.Docs == 0 {
			s.short.First = docID
		}
		s.short.Docs++
		s.short.Fit = min(s.short.Fit, n)
		if cost <= bound {
			return s.pick(seq.First(s.k)), nil
		}
	}
	return s.pick(seq.First(n)), nil
}

// examplesCost returns the summed token counts of the first s.k examples
// of seq, stopping as soon as the sum passes limit.
func (s *sampler) examplesCost(seq *eval.FewShotDraw, limit int) int {
	sum := 0
	for n := range s.k {
		if sum += s.costOf(seq.First(n + 1)[n]); sum > limit {
			break
		}
	}
	return sum
}

// err returns the *eval.ShotsError of the call when no document's k-shot
// prompt fits the window (k larger than can ever fit), nil otherwise. Instances calls it
// after drawing for every document.
func (s *sampler) err() error {
	if s.short.Docs == 0 || s.short.Docs < s.docs {
		return nil
	}
	e := s.short
	e.Total = s.docs
	return &e
}

func (s *sampler) pick(idx []int) []eval.Example {
	out := make([]eval.Example, len(idx))
	for i, j := range idx {
		out[i] = s.pool[j]
	}
	return out
}

// fits returns s.k when the prompt with the first s.k examples of seq
// fits the window, else the largest n < s.k whose prompt does (pack).
// cost is examplesCost of seq with a limit of at least the budget: the
// s.k-shot prompt is rendered only when the examples' own token counts
// leave room for it, so a k far beyond the window costs no more than the
// window.
func (s *sampler) fits(seq *eval.FewShotDraw, f fit, cost int) int {
	budget := s.budget(f)
	if cost <= budget && s.win.Count(s.render(seq.First(s.k), f.tail)) <= budget {
		return s.k
	}
	return s.pack(seq, f, s.k)
}

// pack returns the largest n ≤ limit such that the prompt with the first n
// examples of seq fits: Count(prompt) + f.reserve ≤ window. It estimates n
// from the examples' own token counts, corrects the estimate by the
// tokens the joins add (measured once on the whole prompt), and settles it
// with exact counts, so that a document costs a few tokenizations of its
// prompt whatever n is. Every example adds at least one token to the
// estimate, so no prompt rendered is much longer than the window.
func (s *sampler) pack(seq *eval.FewShotDraw, f fit, limit int) int {
	budget := s.budget(f)
	full := func(n int) int { return s.win.Count(s.render(seq.First(n), f.tail)) }
	base := s.win.Count(s.fs.Description + f.tail)
	estimate := func(delta float64) (n int, used float64) {
		used = float64(base)
		for n < limit && seq.Has(n) {
			c := max(float64(s.costOf(seq.First(n + 1)[n]))+delta, 1)
			if used+c > float64(budget) {
				break
			}
			used += c
			n++
		}
		return n, used
	}
	n, used := estimate(0)
	got := full(n)
	if d := float64(got) - used; n > 0 && d != 0 {
		n, _ = estimate(d / float64(n))
		got = full(n)
	}
	for n > 0 && got > budget {
		n--
		got = full(n)
	}
	for n < limit && seq.Has(n) {
		next := full(n + 1)
		if next > budget {
			break
		}
		n, got = n+1, next
	}
	return n
}

// render is the prompt of the pool items idx and query (eval.FewShot.Prompt).
func (s *sampler) render(idx []int, query string) string {
	return s.fs.Prompt(s.pick(idx), query)
}

// costOf returns the tokens of pool item j rendered alone.
func (s *sampler) costOf(j int) int {
	if s.cost[j] == 0 {
		e := s.pool[j]
		s.cost[j] = max(1, s.win.Count(e.Text+s.fs.TargetDelimiter+e.Target+s.fs.FewshotDelimiter))
	}
	return s.cost[j]
}
