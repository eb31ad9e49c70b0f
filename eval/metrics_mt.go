package eval

// BLEUMetric is corpus BLEU (sacreBLEU's definition, 0–100) as a Metric;
// each document's statistics are BLEUSegmentStats(...).Floats().
func BLEUMetric(opt BLEUOptions) Metric {
	return Metric{Name: "bleu", HigherIsBetter: true, Corpus: true, Score: func(s []float64) float64 {
		return BLEUScoreFromStats(BLEUStatsFromFloats(s), opt).Score
	}}
}

// CHRFMetric is corpus chrF (sacreBLEU's definition, 0–100) as a Metric;
// each document's statistics are CHRFSegmentStats(...).Floats().
func CHRFMetric(opt CHRFOptions) Metric {
	return Metric{Name: "chrf", HigherIsBetter: true, Corpus: true, Score: func(s []float64) float64 {
		return CHRFScoreFromStats(CHRFStatsFromFloats(s), opt).Score
	}}
}
