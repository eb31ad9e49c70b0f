package eval

import (
	"fmt"
	"strconv"
	"strings"
)

// Decoding is the rule a Generate request picks its tokens by. The zero
// value is greedy decoding (argmax at every step), today's default; it is
// left out of request JSON so that greedy requests hash as before.
//
// Method "beam" keeps BeamWidth hypotheses and ranks finished ones by
// log p / lp(|Y|) with the T5 length penalty lp = ((5+|Y|)/6)^LengthPenalty.
// Method "sample" draws each token from the distribution at Temperature,
// restricted to the TopK most likely tokens (unset, 0, keeps them all: a
// user who writes a top-k of 0 is refused by ParseDecoding and
// DecodingFields, since 0 here means "not given") and to the smallest set
// whose probability reaches TopP (1 = all), from a generator seeded by
// Seed and the request alone, so the same seed gives the same tokens
// whatever the batch size or thread count. A Seed of 0 is "not given":
// the runner gives such a request the run's seed, and refuses it when the
// run's seed is 0 too (sampling is never unseeded).
type Decoding struct {
	Method        string  `json:"method,omitempty"` // "", "greedy", "beam" or "sample"
	BeamWidth     int     `json:"beam_width,omitempty"`
	LengthPenalty float64 `json:"length_penalty,omitempty"`
	Temperature   float64 `json:"temperature,omitempty"`
	TopK          int     `json:"top_k,omitempty"`
	TopP          float64 `json:"top_p,omitempty"`
	Seed          int64   `json:"seed,omitempty"`
}

// The decoding methods.
const (
	DecodeGreedy = "greedy"
	DecodeBeam   = "beam"
	DecodeSample = "sample"
)

// IsGreedy reports whether d is greedy decoding.
func (d Decoding) IsGreedy() bool { return d.Method == "" || d.Method == DecodeGreedy }

// Validate returns a one-line error naming the first field out of range.
func (d Decoding) Validate() error {
	switch d.Method {
	case "", DecodeGreedy:
		if d != (Decoding{Method: d.Method}) {
			return fmt.Errorf("decoding: greedy decoding takes no beam or sampling parameters (got %s)", d.params())
		}
	case DecodeBeam:
		if d.BeamWidth < 1 {
			return fmt.Errorf("decoding: beam width %d is out of range: use 1 or more (the GPT-3 paper uses 4)", d.BeamWidth)
		}
		if d.LengthPenalty < 0 {
			return fmt.Errorf("decoding: length penalty %g is out of range: use 0 or more (the GPT-3 paper uses 0.6)", d.LengthPenalty)
		}
		if d.Temperature != 0 || d.TopK != 0 || d.TopP != 0 {
			return fmt.Errorf("decoding: beam search takes no temperature, top-k or top-p")
		}
	case DecodeSample:
		if d.Temperature <= 0 {
			return fmt.Errorf("decoding: temperature %g is out of range: sampling needs a temperature above 0 (greedy decoding is method %q)", d.Temperature, DecodeGreedy)
		}
		if d.TopK < 0 {
			return fmt.Errorf("decoding: top-k %d is out of range: use 1 or more (leave top-k out for no cut)", d.TopK)
		}
		if !(d.TopP > 0 && d.TopP <= 1) {
			return fmt.Errorf("decoding: top-p %g is out of range: use a value in (0, 1] (1 keeps every token)", d.TopP)
		}
		if d.BeamWidth != 0 || d.LengthPenalty != 0 {
			return fmt.Errorf("decoding: sampling takes no beam width or length penalty")
		}
	default:
		return fmt.Errorf("decoding: unknown method %q: use %q, %q or %q", d.Method, DecodeGreedy, DecodeBeam, DecodeSample)
	}
	return nil
}

// String is the rule as the results file records it: "greedy",
// "beam(width=4,length_penalty=0.6)" or
// "sample(temperature=1,top_k=2,top_p=1,seed=1234)".
func (d Decoding) String() string {
	if d.IsGreedy() {
		return DecodeGreedy
	}
	return d.Method + "(" + d.params() + ")"
}

func (d Decoding) params() string {
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	var p []string
	switch d.Method {
	case DecodeBeam:
		p = append(p, "width="+strconv.Itoa(d.BeamWidth), "length_penalty="+g(d.LengthPenalty))
	case DecodeSample:
		p = append(p, "temperature="+g(d.Temperature), "top_k="+strconv.Itoa(d.TopK), "top_p="+g(d.TopP), "seed="+strconv.FormatInt(d.Seed, 10))
	default:
		if d.BeamWidth != 0 {
			p = append(p, "width="+strconv.Itoa(d.BeamWidth))
		}
		if d.Temperature != 0 || d.TopK != 0 || d.TopP != 0 || d.Seed != 0 {
			p = append(p, "temperature="+g(d.Temperature), "top_k="+strconv.Itoa(d.TopK), "top_p="+g(d.TopP), "seed="+strconv.FormatInt(d.Seed, 10))
		}
	}
	return strings.Join(p, ",")
}

// CheckDecoding validates the decoding rule of every Generate request of
// t's zero-shot instances (for a task whose Kind is KindGenerate), after
// the task's Spec().Decoding override, so that a bad rule is refused,
// naming the task and document, before any request of the run is scored
// (kshot run calls it before any model is loaded). With the run's seeds it
// also refuses a sampled request without a seed of its own in a run whose
// seed is 0 (see seedDecoding). Evaluate checks every task's instances
// again as it builds them.
func CheckDecoding(t Task, seeds ...uint64) error {
	spec := t.Spec()
	if spec.Kind != KindGenerate {
		return nil
	}
	insts, err := t.Instances(0, 0)
	if err != nil {
		return nil // Evaluate reports it, with the seed and k of the run
	}
	if len(seeds) == 0 {
		seeds = []uint64{1} // no run seed to check: any non-zero one
	}
	for _, seed := range seeds {
		// seedDecoding rewrites the instances it is given: each seed gets
		// a copy (it copies a Requests slice before changing it).
		if _, err := seedDecoding(append([]Instance(nil), insts...), spec.Decoding, seed); err != nil {
			return fmt.Errorf("task %s: %w", spec.Name, err)
		}
	}
	return nil
}

// seedDecoding gives every Generate request of insts the rule over when
// it is not nil (a user's choice for the task, TaskSpec.Decoding),
// validates each request's rule and gives a sampled request with Seed 0
// the run's seed (as an int64: the same bits), so that sampling is always
// seeded and a run's --seed changes the samples as it changes the
// few-shot draws; a sampled request without a seed in a run whose seed is
// 0 is an error. Instances whose requests change get their own copy of
// the Requests slice. It returns the rules used, each once, in the order
// first met, joined by "; " ("" when there is no Generate request).
func seedDecoding(insts []Instance, over *Decoding, seed uint64) (string, error) {
	var rules []string
	seen := map[string]bool{}
	for i := range insts {
		in := &insts[i]
		copied := false
		for j, r := range in.Requests {
			g, ok := r.(Generate)
			if !ok {
				continue
			}
			changed := false
			if over != nil && g.Decoding != *over {
				g.Decoding, changed = *over, true
			}
			if err := g.Decoding.Validate(); err != nil {
				return "", fmt.Errorf("document %d: %w", in.DocID, err)
			}
			if g.Decoding.Method == DecodeSample && g.Decoding.Seed == 0 {
				if seed == 0 {
					return "", fmt.Errorf("document %d: decoding: sampling without a seed: the rule has none and the run's seed is 0; give the rule a seed or run with a --seed other than 0", in.DocID)
				}
				g.Decoding.Seed, changed = int64(seed), true
			}
			if changed {
				if !copied {
					in.Requests, copied = append([]Request(nil), in.Requests...), true
				}
				in.Requests[j] = g
			}
			if s := g.Decoding.String(); !seen[s] {
				seen[s] = true
				rules = append(rules, s)
			}
		}
	}
	return strings.Join(rules, "; "), nil
}
