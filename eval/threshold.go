package eval

import "math"

// The threshold metrics score binary decisions made by thresholding one
// number per document (GPT-1's zero-shot CoLA probe thresholds the average
// token log-probability of a sentence). The threshold is the one that
// maximises the Matthews correlation on the evaluated documents
// themselves: an oracle choice, optimistic by construction, hence the
// metric names.
//
// A corpus metric only sees summed statistics, so each document
// contributes a one-hot histogram over (label, score bin); the sum is the
// two class histograms, from which every threshold on the grid can be
// tried. The grid is ThresholdBins bins of ThresholdStep nats from
// ThresholdLo up to 0; scores below ThresholdLo fall in the first bin and
// scores at or above 0 in the last, so the threshold is resolved to
// ThresholdStep.
const (
	ThresholdLo    = -12.0 // lowest grid edge, nats (per token)
	ThresholdStep  = 0.05  // bin width, nats
	ThresholdBins  = 240   // bins between ThresholdLo and 0
	thresholdWidth = 2 * ThresholdBins
)

// ThresholdStats returns one document's statistics for OracleMCC and
// OracleAcc: score is the document's number (higher means positive), positive
// its gold label.
func ThresholdStats(score float64, positive bool) []float64 {
	s := make([]float64, thresholdWidth)
	b := 0
	if !math.IsNaN(score) {
		b = int(math.Floor((score - ThresholdLo) / ThresholdStep))
		b = min(max(b, 0), ThresholdBins-1)
	}
	if positive {
		b += ThresholdBins
	}
	s[b] = 1
	return s
}

// ThresholdResult is the decision rule chosen from summed threshold
// statistics and its confusion counts.
type ThresholdResult struct {
	Threshold      float64 // predict positive when the score is ≥ Threshold (−Inf: always)
	TP, FP, TN, FN float64
	MCC, Acc       float64
}

// BestThreshold tries every edge of the grid on summed ThresholdStats and
// returns the one with the highest Matthews correlation (the lowest edge
// among ties).
func BestThreshold(sum []float64) ThresholdResult {
	if len(sum) != thresholdWidth {
		panic("eval: threshold statistics of the wrong length")
	}
	neg, pos := sum[:ThresholdBins], sum[ThresholdBins:]
	var nNeg, nPos float64
	for b := range ThresholdBins {
		nNeg += neg[b]
		nPos += pos[b]
	}
	best := ThresholdResult{MCC: math.Inf(-1)}
	// At edge j the documents in bins ≥ j are predicted positive; walk j
	// down from "none positive" to "all positive".
	var tp, fp float64
	for j := ThresholdBins; j >= 0; j-- {
		if j < ThresholdBins {
			tp += pos[j]
			fp += neg[j]
		}
		r := ThresholdResult{TP: tp, FP: fp, TN: nNeg - fp, FN: nPos - tp}
		r.MCC = mcc(r.TP, r.FP, r.TN, r.FN)
		if n := nNeg + nPos; n > 0 {
			r.Acc = (r.TP + r.TN) / n
		}
		r.Threshold = ThresholdLo + float64(j)*ThresholdStep
		if j == 0 {
			r.Threshold = math.Inf(-1)
		}
		if r.MCC >= best.MCC {
			best = r
		}
	}
	return best
}

// mcc is the Matthews correlation coefficient, 0 when a marginal is empty
// (scikit-learn's convention).
func mcc(tp, fp, tn, fn float64) float64 {
	d := (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)
	if d == 0 {
		return 0
	}
	return (tp*tn - fp*fn) / math.Sqrt(d)
}

// OracleMCC is the Matthews correlation at the best threshold (see
// BestThreshold), a corpus metric over ThresholdStats.
func OracleMCC() Metric {
	return Metric{Name: "oracle_mcc", HigherIsBetter: true, Corpus: true, Width: thresholdWidth,
		Score: func(s []float64) float64 { return BestThreshold(s).MCC }}
}

// OracleAcc is the accuracy at the threshold OracleMCC chooses, a corpus
// metric over ThresholdStats.
func OracleAcc() Metric {
	return Metric{Name: "oracle_acc", HigherIsBetter: true, Corpus: true, Width: thresholdWidth,
		Score: func(s []float64) float64 { return BestThreshold(s).Acc }}
}
