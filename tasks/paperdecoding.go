package tasks

import "github.com/kshot-eval/kshot/eval"

// gpt3Beam is the GPT-3 paper's rule for free-form answers (Brown et al.
// 2020, §2.4: "On tasks with free-form completion, we use beam search with
// the same parameters as [RSR+19]: a beam width of 4 and a length penalty
// of α = 0.6"), the T5 length penalty lp = ((5+|Y|)/6)^α. The gpt3
// variants of drop, coqa, triviaqa and nq_open, and webqs_gpt3, decode by
// it; a suite's decoding key or kshot run --decoding can replace it.
var gpt3Beam = eval.Decoding{Method: eval.DecodeBeam, BeamWidth: 4, LengthPenalty: 0.6}

// gpt3BeamRule is gpt3Beam as a genTask decoding function.
func gpt3BeamRule(uint64) eval.Decoding { return gpt3Beam }
