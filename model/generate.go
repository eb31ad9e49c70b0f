package model

import (
	"context"
	"fmt"

	"github.com/kshot-eval/kshot/eval"
)

// Generation advances every sequence of a batch — each greedy or sampled
// request and every hypothesis of a beam search — by one token per step,
// in one forward pass over all of them and one LM-head product for all
// their last rows: the head ([C, V], 154 MB for GPT-2 in float32) is read
// once per step for the whole batch, not once per sequence. Each rule
// (greedyRule, sampleRule, beamRule) only sees the logits rows of its own
// sequences, which are bit-identical to those of the sequence computed
// alone (the forward pass and kernels.MatMul compute every row
// independently of the others), so a request's tokens do not depend on
// the batch it is in or on the number of threads.

// stepper is the model side of generation: the decoder (decoderStepper),
// or a table of log-probabilities in tests.
type stepper interface {
	// vocab returns V, the width of a logits row.
	vocab() int
	// newSeq returns a sequence that will feed prompt at its first step,
	// with room for capacity positions in all.
	newSeq(prompt []int, capacity int) *seqRun
	// fork returns a sequence that continues parent, which is not
	// advanced again, with room for capacity more positions.
	fork(parent *seqRun, capacity int) *seqRun
	// copyState makes dst continue what src continues (both forks of one
	// parent, dst holding room for src's positions).
	copyState(dst, src *seqRun)
	// step feeds every sequence its tokens and writes its next-token
	// logits into row k of dst [len(seqs), V].
	step(seqs []*seqRun, dst []float32)
}

// rule is the decoding state of one request.
type rule interface {
	// pending returns the sequences that need next-token logits this
	// step, each with the tokens it feeds set; none once the request is
	// done.
	pending() []*seqRun
	// update consumes their logits rows, [len(pending()), V], in order.
	update(m stepper, logits []float32)
	// result returns the generated tokens.
	result() []int
}

// genRequest is what every rule knows of its request.
type genRequest struct {
	prompt []int
	limit  int   // most tokens to generate, ≥ 1
	ban    []int // tokens that may not come first
	stop   func(generated []int) bool
}

// Generate implements eval.TokenScorer: every request decoded by its rule
// (greedy, beam search or seeded sampling, see eval.Decoding) with a KV
// cache, all of them advanced together one token per step. A request
// generates at most MaxNew tokens, and no more than its prompt leaves room
// for in the context (plus the one predicted at the last position).
func (d *Decoder) Generate(ctx context.Context, reqs []eval.TokenGenerate, stop func(i int, generated []int) bool) ([][]int, error) {
	V := d.cfg.VocabSize
	m := &decoderStepper{d: d}
	rules := make([]rule, len(reqs))
	for i, r := range reqs {
		p := r.Prompt
		if len(p) == 0 {
			return nil, fmt.Errorf("prompt %d is empty", i)
		}
		if err := d.checkTokens(p); err != nil {
			return nil, fmt.Errorf("prompt %d: %w", i, err)
		}
		if err := r.Decoding.Validate(); err != nil {
			return nil, fmt.Errorf("prompt %d: %w", i, err)
		}
		for _, t := range r.BanFirst {
			if t < 0 || t >= V {
				return nil, fmt.Errorf("prompt %d: banned token %d out of range [0, %d)", i, t, V)
			}
		}
		room := d.cfg.NPositions - len(p)
		if r.MaxNew > 0 && room <= 0 {
			return nil, fmt.Errorf("prompt %d: %d tokens leave no room to generate in a context of %d", i, len(p), d.cfg.NPositions)
		}
		if r.MaxNew <= 0 {
			rules[i] = doneRule{}
			continue
		}
		g := genRequest{prompt: p, limit: min(r.MaxNew, room+1), ban: r.BanFirst,
			stop: func(gen []int) bool { return stop(i, gen) }}
		rules[i] = newRule(m, g, r.Decoding)
	}
	if err := generate(ctx, m, rules); err != nil {
		return nil, err
	}
	out := make([][]int, len(reqs))
	for i, r := range rules {
		out[i] = r.result()
	}
	return out, nil
}

// newRule returns the state of request g decoded by dec (a valid rule).
func newRule(m stepper, g genRequest, dec eval.Decoding) rule {
	switch dec.Method {
	case eval.DecodeBeam:
		return newBeamRule(m, g, dec.BeamWidth, dec.LengthPenalty)
	case eval.DecodeSample:
		return newSampleRule(m, g, dec)
	}
	return &greedyRule{single: newSingle(m, g)}
}

// generate runs rules to their end, one step for all of them at a time.
func generate(ctx context.Context, m stepper, rules []rule) error {
	V := m.vocab()
	var seqs []*seqRun
	var logits []float32
	owner := make([]int, len(rules)+1) // rule r's rows are [owner[r], owner[r+1])
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		seqs = seqs[:0]
		for r, ru := range rules {
			owner[r] = len(seqs)
			seqs = append(seqs, ru.pending()...)
		}
		owner[len(rules)] = len(seqs)
		if len(seqs) == 0 {
			return nil
		}
		if n := len(seqs) * V; cap(logits) < n {
			logits = make([]float32, n)
		}
		m.step(seqs, logits[:len(seqs)*V])
		for r, ru := range rules {
			if owner[r] < owner[r+1] {
				ru.update(m, logits[owner[r]*V:owner[r+1]*V])
			}
		}
	}
}

// doneRule is a request with nothing to generate.
type doneRule struct{}

func (doneRule) pending() []*seqRun        { return nil }
func (doneRule) update(stepper, []float32) {}
func (doneRule) result() []int             { return nil }

// single is the state the one-sequence rules (greedy, sampling) share.
type single struct {
	genRequest
	seq  *seqRun
	out  []int
	done bool
}

func newSingle(m stepper, g genRequest) single {
	return single{genRequest: g, seq: m.newSeq(g.prompt, len(g.prompt)+g.limit-1)}
}

func (s *single) pending() []*seqRun {
	if s.done {
		return nil
	}
	return []*seqRun{s.seq}
}

func (s *single) result() []int { return s.out }

// push appends tok and decides whether the sequence goes on.
func (s *single) push(tok int) {
	s.out = append(s.out, tok)
	if s.stop(s.out) || len(s.out) >= s.limit {
		s.done = true
		return
	}
	s.seq.tokens = []int{tok}
}

// banFirst sets the logits of the banned tokens to −∞ at the first step.
func (g *genRequest) banFirst(logits []float32, generated int) {
	if generated > 0 {
		return
	}
	for _, t := range g.ban {
		logits[t] = negInf
	}
}

// greedyRule takes the first most likely token at every step.
type greedyRule struct{ single }

func (g *greedyRule) update(_ stepper, logits []float32) {
	g.banFirst(logits, len(g.out))
	g.push(argmax(logits))
}

// decoderStepper is the decoder as generation's stepper. Its buffers live
// across the steps of one Generate call.
type decoderStepper struct {
	d      *Decoder
	hidden []float32 // [B, C] the last row of every sequence
	col    []float32 // scratch for copyState
}

func (m *decoderStepper) vocab() int { return m.d.cfg.VocabSize }

func (m *decoderStepper) newSeq(prompt []int, capacity int) *seqRun {
	cfg := m.d.cfg
	return &seqRun{tokens: prompt, kv: newKVCache(cfg.NLayer, cfg.NHead, cfg.NEmbd/cfg.NHead, capacity)}
}

func (m *decoderStepper) fork(parent *seqRun, capacity int) *seqRun {
	if parent.past != nil {
		panic("model: fork of a sequence that is itself a fork")
	}
	cfg := m.d.cfg
	return &seqRun{past: parent.kv, kv: newKVCache(cfg.NLayer, cfg.NHead, cfg.NEmbd/cfg.NHead, max(1, capacity))}
}

// copyState copies src's own keys and values into dst, position by
// position for the keys ([D, cap], a column per position) and channel by
// channel for the values ([cap, D]).
func (m *decoderStepper) copyState(dst, src *seqRun) {
	if dst.past != src.past || dst.kv.cap < src.kv.n {
		panic(fmt.Sprintf("model: copy of a sequence of %d positions into one of %d that continues another", src.kv.n, dst.kv.cap))
	}
	n := src.kv.n
	for i := range src.kv.k {
		sk, sv := src.kv.k[i], src.kv.v[i]
		D := sk.K
		if need := max(n*D, sv.K*D); cap(m.col) < need {
			m.col = make([]float32, need)
		}
		buf := m.col
		if n > 0 {
			for j := 0; j < n; j++ {
				sk.Column(buf[j*D:], j)
			}
			dst.kv.k[i].SetColumns(0, buf, D, n)
		}
		rows := sv.K
		if rows != dst.kv.v[i].K {
			panic(fmt.Sprintf("model: copy of a value cache of %d positions into one of %d", rows, dst.kv.v[i].K))
		}
		for c := 0; c < D; c++ {
			sv.Column(buf[c*rows:], c)
		}
		dst.kv.v[i].SetColumns(0, buf, rows, D)
	}
	dst.kv.n = n
}

// headChunk bounds the rows of one LM-head product (the logits buffer is
// headChunk·V floats at most per product; the head is read once per
// chunk).
const headChunk = 64

func (m *decoderStepper) step(seqs []*seqRun, dst []float32) {
	d := m.d
	C, V := d.cfg.NEmbd, d.cfg.VocabSize
	B := len(seqs)
	if len(dst) != B*V {
		panic(fmt.Sprintf("model: %d logits for %d sequences of a vocabulary of %d", len(dst), B, V))
	}
	hidden, rowStart := d.forward(seqs)
	if cap(m.hidden) < B*C {
		m.hidden = make([]float32, B*C)
	}
	h := m.hidden[:B*C]
	for k := range seqs {
		last := rowStart[k+1] - 1
		copy(h[k*C:(k+1)*C], hidden[last*C:(last+1)*C])
	}
	d.finalNorm(h, B)
	for r0 := 0; r0 < B; r0 += headChunk {
		r1 := min(B, r0+headChunk)
		d.logits(dst[r0*V:r1*V], h[r0*C:r1*C], r1-r0)
	}
}
