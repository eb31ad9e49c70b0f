package reports

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
)

// paramTicks mark a log axis of parameter counts (1M, 10M, 1B); see
// logTicks for which values get a label.
type paramTicks struct{}

func (paramTicks) Ticks(min, max float64) []plot.Tick {
	return logTicks(min, max, func(v float64) string {
		if isDecade(v) {
			return FormatParams(int64(math.Round(v)))
		}
		return paramsLabel(v)
	})
}

// valueTicks mark a log axis of metric values (0.01, 100, 1e6); see
// logTicks for which values get a label.
type valueTicks struct{}

func (valueTicks) Ticks(min, max float64) []plot.Tick {
	return logTicks(min, max, func(v float64) string {
		if e := int(math.Round(math.Log10(v))); isDecade(v) && (e >= 6 || e <= -4) {
			return fmt.Sprintf("1e%d", e)
		}
		return shortFloat(v)
	})
}

// logTicks returns the ticks of a log axis over [min, max] with at least
// two labelled ones whatever the range:
//   - when two or more decades (1, 10, 100, …) fall inside the range, the
//     decades are labelled (every n-th one past seven, see relabel) and
//     the multiples between them are minor ticks, as plot.LogTicks;
//   - else, when three or more of the values 1, 2 and 5 × 10^e fall
//     inside, those are labelled; else, when two or more of 1…9 × 10^e
//     do, those are (a range inside one decade: 20 to 45 gets 20, 30, 40);
//   - else (a range narrower than that, 12 to 18) the round values of
//     plot.DefaultTicks inside it are.
//
// Outside those first, decade, cases no tick lies outside [min, max].
func logTicks(min, max float64, label func(float64) string) []plot.Tick {
	if !(min > 0) || !(max > min) {
		panic(fmt.Sprintf("reports: log axis range [%g, %g]", min, max))
	}
	decades := plot.LogTicks{Prec: -1}.Ticks(min, max)
	inside := 0
	for _, t := range decades {
		if t.Label != "" && t.Value >= min && t.Value <= max {
			inside++
		}
	}
	if inside >= 2 {
		return relabel(decades, label)
	}
	for _, try := range []struct {
		mantissas []int
		need      int
	}{{[]int{1, 2, 5}, 3}, {[]int{1, 2, 3, 4, 5, 6, 7, 8, 9}, 2}} {
		var ticks []plot.Tick
		labelled := 0
		for e := int(math.Floor(math.Log10(min))); e <= int(math.Ceil(math.Log10(max))); e++ {
			for m := 1; m <= 9; m++ {
				v := float64(m) * math.Pow10(e)
				if v < min || v > max {
					continue
				}
				t := plot.Tick{Value: v}
				if slices.Contains(try.mantissas, m) {
					t.Label = label(v)
					labelled++
				}
				ticks = append(ticks, t)
			}
		}
		if labelled >= try.need {
			return ticks
		}
	}
	var ticks []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(min, max) {
		if t.Value < min || t.Value > max {
			continue
		}
		if t.Label != "" {
			t.Label = label(t.Value)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// isDecade reports whether v is a power of ten.
func isDecade(v float64) bool {
	e := math.Round(math.Log10(v))
	return math.Abs(v-math.Pow(10, e)) <= 1e-9*v
}

// shortFloat writes v with at most four significant digits and no
// exponent: 30, 0.25, 1250.
func shortFloat(v float64) string {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 4, 64), 64)
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// paramsLabel writes a parameter count for a tick with up to four
// significant digits: 200M, 1.25B (FormatParams keeps one decimal).
func paramsLabel(v float64) string {
	for _, u := range []struct {
		scale  float64
		suffix string
	}{{1e9, "B"}, {1e6, "M"}, {1e3, "K"}} {
		if v >= u.scale {
			return shortFloat(v/u.scale) + u.suffix
		}
	}
	return shortFloat(v)
}

// relabel renames the labelled (decade) ticks with label and, when more
// than seven decades are labelled, keeps only every n-th label.
func relabel(ticks []plot.Tick, label func(float64) string) []plot.Tick {
	n := 0
	for _, t := range ticks {
		if t.Label != "" {
			n++
		}
	}
	every := (n + 6) / 7
	k := 0
	out := ticks[:0]
	for _, t := range ticks {
		if t.Label == "" {
			if every == 1 {
				out = append(out, t) // minor ticks only when every decade is labelled
			}
			continue
		}
		t.Label = ""
		if k%every == 0 {
			t.Label = label(t.Value)
		}
		k++
		out = append(out, t)
	}
	return out
}
