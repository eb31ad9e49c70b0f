package eval

import "github.com/kshot-eval/kshot/eval/sacrebleu"

// BLEUMetric is corpus BLEU (sacreBLEU's definition, 0–100) as a Metric;
// each document's statistics are BLEUSegmentStats(...).Floats().
func BLEUMetric(opt sacrebleu.BLEUOptions) Metric {
	return Metric{Name: "bleu", HigherIsBetter: true, Corpus: true, Score: func(s []float64) float64 {
		return sacrebleu.BLEUScoreFromStats(sacrebleu.BLEUStatsFromFloats(s), opt).Score
	}}
}

// CHRFMetric is corpus chrF (sacreBLEU's definition, 0–100) as a Metric;
// each document's statistics are CHRFSegmentStats(...).Floats().
func CHRFMetric(opt sacrebleu.CHRFOptions) Metric {
	return Metric{Name: "chrf", HigherIsBetter: true, Corpus: true, Score: func(s []float64) float64 {
		return sacrebleu.CHRFScoreFromStats(sacrebleu.CHRFStatsFromFloats(s), opt).Score
	}}
}

// LookupMetric returns the metric kshot's tasks report under name, so
// that tools reading results files (reports, comparisons) can recompute a
// corpus metric from summed per-document statistics. Any name that is not
// one of kshot's corpus metrics is a mean (acc, acc_norm, exact_match, …).
func LookupMetric(name string, higherIsBetter bool) Metric {
	switch name {
	case "perplexity":
		return Perplexity()
	case "word_perplexity", "byte_perplexity":
		return WeightedPerplexity(name)
	case "bits_per_byte":
		return BitsPerByte()
	case "bleu":
		return BLEUMetric(sacrebleu.BLEUOptions{})
	case "chrf":
		return CHRFMetric(sacrebleu.CHRFOptions{})
	case "oracle_mcc":
		return OracleMCC()
	case "oracle_acc":
		return OracleAcc()
	case "ter":
		return Metric{Name: "ter", Corpus: true, Score: func(s []float64) float64 {
			return sacrebleu.TERScoreFromStats(sacrebleu.TERStatsFromFloats(s), sacrebleu.TEROptions{}).Score
		}}
	}
	return Mean(name, higherIsBetter)
}
