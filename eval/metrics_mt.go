package eval

import (
	"fmt"

	"github.com/kshot-eval/kshot/eval/sacrebleu"
)

// BLEUMetric is corpus BLEU (sacreBLEU's definition, 0–100) as a Metric;
// each document's statistics are BLEUSegmentStats(...).Floats().
func BLEUMetric(opt sacrebleu.BLEUOptions) Metric {
	return Metric{Name: "bleu", HigherIsBetter: true, Corpus: true, Options: opt,
		Check: func(s []float64) error {
			if len(s) < 4 || len(s)%2 != 0 {
				return fmt.Errorf("bleu wants 2 lengths and 2 counts per n-gram order, got %d statistics", len(s))
			}
			return nil
		},
		Score: func(s []float64) float64 {
			return sacrebleu.BLEUScoreFromStats(sacrebleu.BLEUStatsFromFloats(s), opt).Score
		}}
}

// CHRFMetric is corpus chrF (sacreBLEU's definition, 0–100) as a Metric;
// each document's statistics are CHRFSegmentStats(...).Floats().
func CHRFMetric(opt sacrebleu.CHRFOptions) Metric {
	return Metric{Name: "chrf", HigherIsBetter: true, Corpus: true, Options: opt,
		Check: func(s []float64) error {
			if len(s)%3 != 0 {
				return fmt.Errorf("chrf wants 3 counts per n-gram order, got %d statistics", len(s))
			}
			return nil
		},
		Score: func(s []float64) float64 {
			return sacrebleu.CHRFScoreFromStats(sacrebleu.CHRFStatsFromFloats(s), opt).Score
		}}
}

// TERMetric is corpus TER (sacreBLEU's definition, 0–100, lower is
// better) as a Metric; each document's statistics are TERStats.Floats().
func TERMetric(opt sacrebleu.TEROptions) Metric {
	return Metric{Name: "ter", Corpus: true, Options: opt, Width: 2,
		Score: func(s []float64) float64 {
			return sacrebleu.TERScoreFromStats(sacrebleu.TERStatsFromFloats(s), opt).Score
		}}
}
