package tasks

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

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

// sampler draws the few-shot examples of each document of one Instances
// call from a pool of solved examples rendered with fs.
type sampler struct {
	task string
	fs   eval.FewShot
	pool []eval.Example
	k    int
	seed uint64
	win  eval.ContextWindow
	cost []int // tokens of each pool item's rendering, 0 until counted
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
	return &sampler{task: task, fs: fs, pool: pool, k: k, seed: seed, win: w.win, cost: make([]int, len(pool))}, nil
}

// fit is what must fit in the window after the examples: tail (the query,
// for multiple choice the longest option's context and continuation) and
// reserve tokens (a generation budget).
type fit struct {
	tail    string
	reserve int
}

// draw returns the examples of document docID, never pool item exclude
// (-1 when the pool is not the evaluated split); the caller renders
// fs.Prompt(examples, query).
func (s *sampler) draw(docID, exclude int, where string, f fit) ([]eval.Example, error) {
	if s.k != eval.ShotsMax {
		idx, err := eval.SampleFewShot(len(s.pool), s.k, exclude, s.seed, docID)
		if err != nil {
			return nil, docError(s.task, docID, where, err)
		}
		return s.pick(idx), nil
	}
	seq := newDrawSeq(len(s.pool), exclude, s.seed, docID)
	n := s.pack(seq, f)
	return s.pick(seq.idx[:n]), nil
}

func (s *sampler) pick(idx []int) []eval.Example {
	out := make([]eval.Example, len(idx))
	for i, j := range idx {
		out[i] = s.pool[j]
	}
	return out
}

// pack returns the largest n such that the prompt with the first n
// examples of seq fits: Count(prompt) + f.reserve ≤ window. It estimates n
// from the examples' own token counts, corrects the estimate by the
// tokens the joins add (measured once on the whole prompt), and settles it
// with exact counts, so that a document costs a few tokenizations of its
// prompt whatever n is.
func (s *sampler) pack(seq *drawSeq, f fit) int {
	budget := s.win.Tokens - f.reserve
	full := func(n int) int { return s.win.Count(s.render(seq.idx[:n], f.tail)) }
	base := s.win.Count(s.fs.Description + f.tail)
	estimate := func(delta float64) (n int, used float64) {
		used = float64(base)
		for seq.has(n) {
			c := float64(s.costOf(seq.idx[n])) + delta
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
	for seq.has(n) {
		next := full(n + 1)
		if next > budget {
			break
		}
		n, got = n+1, next
	}
	return n
}

// render is s.fs.Prompt of the pool items idx and query, built in one
// buffer.
func (s *sampler) render(idx []int, query string) string {
	var b strings.Builder
	b.WriteString(s.fs.Description)
	for _, j := range idx {
		e := s.pool[j]
		b.WriteString(e.Text)
		b.WriteString(s.fs.TargetDelimiter)
		b.WriteString(e.Target)
		b.WriteString(s.fs.FewshotDelimiter)
	}
	b.WriteString(query)
	return b.String()
}

// costOf returns the tokens of pool item j rendered alone.
func (s *sampler) costOf(j int) int {
	if s.cost[j] == 0 {
		e := s.pool[j]
		s.cost[j] = max(1, s.win.Count(e.Text+s.fs.TargetDelimiter+e.Target+s.fs.FewshotDelimiter))
	}
	return s.cost[j]
}

// drawSeq is the seeded sequence of distinct pool indices of one document,
// drawn on demand exactly as eval.SampleFewShot draws them, so that its
// first k items are the k-shot examples.
type drawSeq struct {
	rng     *rand.Rand
	size    int
	exclude int
	avail   int
	seen    map[int]bool
	idx     []int
}

func newDrawSeq(size, exclude int, seed uint64, docID int) *drawSeq {
	avail := size
	if exclude >= 0 && exclude < size {
		avail--
	}
	return &drawSeq{rng: rand.New(rand.NewPCG(seed, uint64(docID))), size: size, exclude: exclude, avail: avail, seen: map[int]bool{}}
}

// has reports whether the sequence has an item at position n, drawing it
// when needed.
func (d *drawSeq) has(n int) bool {
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
