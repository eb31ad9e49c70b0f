// Package sacrebleu computes corpus BLEU, chrF and TER exactly as
// sacreBLEU 2.x does: its tokenizers (13a, intl, char, none), per-segment
// sufficient statistics that add up over a corpus, and scores computed
// from the summed statistics, so that a corpus metric can be bootstrapped
// over segments and rebuilt from a samples file. It depends on nothing
// else in kshot.
package sacrebleu
