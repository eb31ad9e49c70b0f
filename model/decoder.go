package model

import (
	"context"
	"fmt"
	"math"
	"path/filepath"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/kernels"
)

// Decoder is the built-in transformer: it scores token sequences and
// generates by greedy decoding, beam search or seeded sampling. It implements eval.TokenScorer and is safe for
// concurrent use.
type Decoder struct {
	cfg    *Config
	w      *Weights
	blocks []block         // w.Blocks as the architecture's block kind
	act    func([]float32) // the MLP's activation, in place
}

// NewDecoder returns a decoder for weights w with hyperparameters cfg.
func NewDecoder(cfg *Config, w *Weights) (*Decoder, error) {
	act, ok := activation(cfg.Activation)
	if !ok {
		return nil, fmt.Errorf("activation function %q is not supported", cfg.Activation)
	}
	return &Decoder{cfg: cfg, w: w, blocks: blocks(cfg.Arch, w), act: act}, nil
}

// Config returns the decoder's hyperparameters.
func (d *Decoder) Config() *Config { return d.cfg }

// MaxLength implements eval.TokenScorer: the context window in tokens.
func (d *Decoder) MaxLength() int { return d.cfg.NPositions }

// NumParameters counts the model's parameters, a tied LM head once.
func (d *Decoder) NumParameters() int64 {
	w := d.w
	n := int64(d.cfg.VocabSize*d.cfg.NEmbd + len(w.WPE) + len(w.LNF.Gain) + len(w.LNF.Bias))
	lin := func(l Linear) int64 { return int64(l.W.K*l.W.N + len(l.B)) }
	for _, b := range w.Blocks {
		n += int64(len(b.LN1.Gain)+len(b.LN1.Bias)+len(b.LN2.Gain)+len(b.LN2.Bias)) +
			lin(b.Attn.QKV) + lin(b.Attn.Proj) + lin(b.MLP.FC) + lin(b.MLP.Proj)
	}
	if !d.cfg.TieWordEmbeddings {
		n += lin(w.LMHead)
	}
	return n
}

// Open loads the checkpoint and tokenizer in dir and returns them as an
// eval.LanguageModel together with the decoder and tokenizer.
func Open(dir string) (*eval.TokenLM, *Decoder, Tokenizer, error) {
	cfg, w, err := Load(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	dec, err := NewDecoder(cfg, w)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", filepath.Join(dir, "config.json"), err)
	}
	tok, err := LoadTokenizer(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	fp, err := Fingerprint(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	abs, _ := filepath.Abs(dir)
	info := eval.ModelInfo{Name: filepath.Base(abs), Source: abs, Parameters: dec.NumParameters(),
		MaxLength: cfg.NPositions, Fingerprint: fp}
	lm, err := eval.NewTokenLM(info, tok, dec)
	if err != nil {
		return nil, nil, nil, err
	}
	return lm, dec, tok, nil
}

// checkTokens validates a sequence of token ids from a caller.
func (d *Decoder) checkTokens(toks []int) error {
	if len(toks) > d.cfg.NPositions+1 {
		return fmt.Errorf("sequence of %d tokens is longer than the model's context of %d (+1 scored token)", len(toks), d.cfg.NPositions)
	}
	for i, t := range toks {
		if t < 0 || t >= d.cfg.VocabSize {
			return fmt.Errorf("token %d at position %d is out of range [0, %d)", t, i, d.cfg.VocabSize)
		}
	}
	return nil
}

// maxRowsPerPass bounds the rows of one forward pass (memory).
const maxRowsPerPass = 4096

// Score implements eval.TokenScorer. Sequences whose scored part starts
// after the same prefix share that prefix's computation; every score is
// bit-identical to scoring the sequence alone. Only the rows whose logits
// are scored go through the final LayerNorm and the LM head.
func (d *Decoder) Score(ctx context.Context, seqs []eval.TokenSeq) ([]eval.TokenScores, error) {
	for i, s := range seqs {
		if err := d.checkTokens(s.Tokens); err != nil {
			return nil, fmt.Errorf("sequence %d: %w", i, err)
		}
		if s.From < 1 || s.From >= len(s.Tokens) {
			return nil, fmt.Errorf("sequence %d: first scored position %d outside [1, %d)", i, s.From, len(s.Tokens))
		}
	}
	out := make([]eval.TokenScores, len(seqs))
	// Group sequences by the prefix before their first scored input row.
	groups := map[string][]int{}
	var keys []string
	for i, s := range seqs {
		k := fmt.Sprint(s.Tokens[:s.From-1])
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], i)
	}
	H, D := d.cfg.NHead, d.cfg.NEmbd/d.cfg.NHead
	L := d.cfg.NLayer
	type job struct {
		seg  *seqRun
		seq  int // index into seqs, -1 for a shared prefix
		from int // first input row (within the segment) whose logits are needed
	}
	var prefixJobs, jobs []job
	for _, k := range keys {
		members := groups[k]
		pre := seqs[members[0]].From - 1
		var past *kvCache
		if len(members) > 1 && pre > 0 {
			past = newKVCache(L, H, D, pre)
			prefixJobs = append(prefixJobs, job{seg: &seqRun{tokens: seqs[members[0]].Tokens[:pre], kv: past}, seq: -1})
		}
		for _, m := range members {
			s := seqs[m]
			if past != nil {
				toks := s.Tokens[pre : len(s.Tokens)-1]
				jobs = append(jobs, job{seg: &seqRun{tokens: toks, past: past, kv: newKVCache(1, H, D, len(toks))}, seq: m, from: 0})
			} else {
				toks := s.Tokens[:len(s.Tokens)-1]
				jobs = append(jobs, job{seg: &seqRun{tokens: toks, kv: newKVCache(1, H, D, len(toks))}, seq: m, from: s.From - 1})
			}
		}
	}
	run := func(batch []job) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		segs := make([]*seqRun, len(batch))
		for i, j := range batch {
			segs[i] = j.seg
		}
		hidden, rowStart := d.forward(segs)
		for i, j := range batch {
			if j.seq < 0 {
				continue
			}
			s := seqs[j.seq]
			first := rowStart[i] + j.from
			rows := rowStart[i+1] - first
			targets := s.Tokens[s.From:]
			h := hidden[first*d.cfg.NEmbd : (first+rows)*d.cfg.NEmbd]
			d.finalNorm(h, rows)
			lp, greedy := d.headScores(h, rows, targets)
			out[j.seq] = eval.TokenScores{LogProbs: lp, Greedy: greedy}
		}
		return nil
	}
	for _, list := range [][]job{prefixJobs, jobs} {
		start, rows := 0, 0
		for i, j := range list {
			if rows > 0 && rows+len(j.seg.tokens) > maxRowsPerPass {
				if err := run(list[start:i]); err != nil {
					return nil, err
				}
				start, rows = i, 0
			}
			rows += len(j.seg.tokens)
		}
		if start < len(list) {
			if err := run(list[start:]); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// The LM head is computed in blocks of up to headRows rows by headCols
// vocabulary columns: a column block of the packed head (headCols×C
// floats, 6.3 MB for GPT-2) stays in cache while every row of the block
// goes through it, so the head (154 MB for GPT-2) is read from memory once
// per headRows rows. Each row's log-sum-exp and argmax are carried across
// the column blocks. (At T=1024 on gpt2-small shapes, 2 threads, the head
// took 600–700 ms per prompt in calls of 128 rows by the whole vocabulary,
// 560–645 ms in 1024 by 2048 blocks.)
const (
	headRows = 1024
	headCols = 2048 // a multiple of 64, as Packed.Cols requires
)

// Logits computes the LM head for n rows of final hidden states h [n, C]
// into dst [n, V].
func (d *Decoder) logits(dst, h []float32, n int) {
	kernels.MatMul(dst, h, n, d.w.LMHead.W, d.w.LMHead.B)
}

// headRow is what the LM head yields for one row of hidden states.
type headRow struct {
	lse      float64 // log Σ exp(logits), the maximum subtracted first
	argmax   int     // the first largest logit
	maxLogit float32 // its value
	token    float32 // the logit of the token asked for
}

// headScores returns log p(targets[r]) (natural log) and whether it was
// the argmax, for each of the n rows of final hidden states h.
func (d *Decoder) headScores(h []float32, n int, targets []int) ([]float64, []bool) {
	lp := make([]float64, n)
	greedy := make([]bool, n)
	for r, hr := range d.scanHead(h, n, targets) {
		lp[r] = float64(hr.token) - hr.lse
		greedy[r] = hr.argmax == targets[r]
	}
	return lp, greedy
}

// scanHead pushes the n rows of final hidden states h [n, C] through the
// LM head and returns what it yields for each; row r reports the logit of
// token tokens[r] (tokens may be nil or shorter than n, and -1 asks for
// none). The log-sum-exp is the maximum plus the log of Σ exp(logit −
// maximum), summed in float64 block by block (kernels.ExpSum) and rescaled
// when a later block raises the maximum; the blocks depend only on the
// vocabulary size, so a row's results do not depend on n.
func (d *Decoder) scanHead(h []float32, n int, tokens []int) []headRow {
	C, V := d.cfg.NEmbd, d.cfg.VocabSize
	W, B := d.w.LMHead.W, d.w.LMHead.B
	out := make([]headRow, n)
	sums := make([]float64, n)
	buf := make([]float32, min(headRows, n)*min(headCols, V))
	for r0 := 0; r0 < n; r0 += headRows {
		m := min(headRows, n-r0)
		for c0 := 0; c0 < V; c0 += headCols {
			c1 := min(V, c0+headCols)
			w := c1 - c0
			var bias []float32
			if B != nil {
				bias = B[c0:c1]
			}
			kernels.MatMul(buf, h[r0*C:], m, W.Cols(c0, c1), bias)
			kernels.Parallel(m, func(i int) {
				r := r0 + i
				x := buf[i*w : (i+1)*w]
				if am := argmax(x); c0 == 0 || x[am] > out[r].maxLogit {
					if c0 > 0 { // rescale the sum so far to the new maximum
						sums[r] *= math.Exp(float64(out[r].maxLogit) - float64(x[am]))
					}
					out[r].maxLogit, out[r].argmax = x[am], c0+am
				}
				sums[r] += kernels.ExpSum(x, out[r].maxLogit)
				if r < len(tokens) && tokens[r] >= c0 && tokens[r] < c1 {
					out[r].token = x[tokens[r]-c0]
				}
			})
		}
	}
	for r := range out {
		out[r].lse = float64(out[r].maxLogit) + math.Log(sums[r])
	}
	return out
}

// argmax returns the index of the first largest element of x (of the
// first element if x holds a NaN).
func argmax(x []float32) int {
	return max(0, kernels.Index(x, kernels.Max(x)))
}

// TokenLogprobs scores one sequence at every position: logprobs[t] =
// log p(ids[t+1] | ids[..t]) (natural log) for t < len(ids)-1, and
// argmax[t] the most likely token after ids[..t] for every t.
func (d *Decoder) TokenLogprobs(ctx context.Context, ids []int) (logprobs []float64, argmax []int, err error) {
	logprobs = make([]float64, max(0, len(ids)-1))
	argmax = make([]int, len(ids))
	rows, err := d.eachPosition(ctx, ids, ids[1:])
	for t, hr := range rows {
		argmax[t] = hr.argmax
		if t+1 < len(ids) {
			logprobs[t] = float64(hr.token) - hr.lse
		}
	}
	return logprobs, argmax, err
}

// ArgmaxLogprobs returns, for every position t of ids, the most likely
// next token argmax[t] after ids[..t] and its log-probability logprobs[t]
// (natural log), from one forward pass. kshot serve uses it to fill
// top_logprobs.
func (d *Decoder) ArgmaxLogprobs(ctx context.Context, ids []int) (argmax []int, logprobs []float64, err error) {
	argmax = make([]int, len(ids))
	logprobs = make([]float64, len(ids))
	rows, err := d.eachPosition(ctx, ids, nil)
	for t, hr := range rows {
		argmax[t], logprobs[t] = hr.argmax, float64(hr.maxLogit)-hr.lse
	}
	return argmax, logprobs, err
}

// eachPosition runs ids (at most the context length) through the model
// and returns the LM head's results at every position, position t
// reporting the logit of tokens[t] (see scanHead).
func (d *Decoder) eachPosition(ctx context.Context, ids, tokens []int) ([]headRow, error) {
	if len(ids) > d.cfg.NPositions {
		return nil, fmt.Errorf("sequence of %d tokens is longer than the model's context of %d", len(ids), d.cfg.NPositions)
	}
	if err := d.checkTokens(ids); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	H, D := d.cfg.NHead, d.cfg.NEmbd/d.cfg.NHead
	seg := &seqRun{tokens: ids, kv: newKVCache(1, H, D, len(ids))}
	hidden, _ := d.forward([]*seqRun{seg})
	d.finalNorm(hidden, len(ids))
	return d.scanHead(hidden, len(ids), tokens), nil
}
