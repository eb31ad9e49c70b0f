package reports

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

func TestFitTrend(t *testing.T) {
	cases := []struct {
		name       string
		kind       FitKind
		pts        []Point
		a, b       float64
		at, predic float64
	}{
		// On the line y = 0.2 + 0.05·log10 N: at 175e9, 0.2 + 0.05·11.2430 = 0.76215.
		{"log-linear exact", FitLogLinear, []Point{{1e8, 0.6, 0}, {1e9, 0.65, 0}, {1e10, 0.7, 0}}, 0.2, 0.05, 175e9, 0.2 + 0.05*math.Log10(175e9)},
		// Least squares by hand: x = 1, 2, 3 (log10 N), y = 1, 2, 2:
		// slope Sxy/Sxx = 1/2, intercept 5/3 − 2·½ = 2/3.
		{"log-linear least squares", FitLogLinear, []Point{{10, 1, 0}, {100, 2, 0}, {1000, 2, 0}}, 2.0 / 3, 0.5, 1e4, 2.0/3 + 2},
		// y = 100·N^−0.1: at 1e10, 100·10^−1 = 10.
		{"power law", FitPowerLaw, []Point{{1e6, 100 * math.Pow(1e6, -0.1), 0}, {1e8, 100 * math.Pow(1e8, -0.1), 0}}, 100, -0.1, 1e10, 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := FitTrend(c.kind, c.pts)
			if err != nil {
				t.Fatal(err)
			}
			if !near(f.A, c.a, 1e-9*math.Max(1, math.Abs(c.a))) || !near(f.B, c.b, 1e-12) || !near(f.Predict(c.at), c.predic, 1e-9) || f.N != len(c.pts) {
				t.Errorf("fit = %+v, predict(%g) = %g, want A %g B %g → %g", f, c.at, f.Predict(c.at), c.a, c.b, c.predic)
			}
		})
	}
	if _, err := FitTrend(FitLogLinear, []Point{{1e6, 1, 0}, {1e6, 2, 0}}); !errors.Is(err, ErrTooFewPoints) {
		t.Errorf("one size: %v", err)
	}
	if _, err := FitTrend(FitPowerLaw, []Point{{1e6, 0, 0}, {1e7, 2, 0}}); err == nil {
		t.Error("power law through zero accepted")
	}
	if _, err := FitTrend(FitLogLinear, []Point{{0, 1, 0}, {1e7, 2, 0}}); err == nil {
		t.Error("zero parameters accepted")
	}
	f := Fit{Kind: FitLogLinear, A: 0.2, B: -0.05}
	if f.String() != "y = 0.2 − 0.05·log10(N)" {
		t.Errorf("String = %q", f.String())
	}
}

func TestTicks(t *testing.T) {
	var got []string
	for _, tk := range (paramTicks{}).Ticks(1e6, 2e9) {
		if tk.Label != "" {
			got = append(got, tk.Label)
		}
	}
	if strings.Join(got, " ") != "1M 10M 100M 1B 10B" {
		t.Errorf("parameter ticks = %v", got)
	}
	got = nil
	ticks := (valueTicks{}).Ticks(0.001, 1e8)
	for _, tk := range ticks {
		if tk.Label != "" {
			got = append(got, tk.Label)
		}
	}
	// Twelve decades: every second one labelled, no minor ticks.
	if strings.Join(got, " ") != "0.001 0.1 10 1000 100000 1e7" || len(ticks) != 12 {
		t.Errorf("value ticks = %v (%d ticks)", got, len(ticks))
	}
}

// goldenScaling is the plot of the golden image tests: GPT-2's LAMBADA
// accuracy from Table 3 with made-up standard errors, a fitted trend
// extrapolated to 175B, and reference crosses.
func goldenScaling() *ScalingPlot {
	return &ScalingPlot{
		Title: "acc against model size", YLabel: "acc", HigherIsBetter: true, Fit: FitLogLinear, Extrapolate: []float64{175e9},
		Series: []Series{
			{Label: "lambada_openai", Points: []Point{{117e6, 0.4599, 0.007}, {345e6, 0.5548, 0.007}, {762e6, 0.6012, 0.007}, {1542e6, 0.6324, 0.007}},
				Reference: []Point{{125e6, 0.427, math.NaN()}, {350e6, 0.543, math.NaN()}, {1.3e9, 0.636, math.NaN()}}, RefLabel: "GPT-3 Table H.1"},
			{Label: "winograd", Points: []Point{{117e6, 0.5, 0.03}, {345e6, 0.61, 0.03}, {762e6, 0.68, math.NaN()}}},
		},
	}
}

func goldenShots() *ShotsPlot {
	return &ShotsPlot{Title: "lambada acc against k", YLabel: "acc", HigherIsBetter: true, Series: []Series{
		{Label: "125M", Points: []Point{{0, 0.427, 0.01}, {1, 0.22, 0.01}, {15, 0.22, 0.01}}},
		{Label: "1.3B", Points: []Point{{0, 0.636, 0.01}, {1, 0.583, 0.01}, {15, 0.57, math.NaN()}}},
	}}
}

func renderGolden(t *testing.T, which, format string) []byte {
	t.Helper()
	var b bytes.Buffer
	switch which {
	case "scaling":
		p, fits, warnings, err := goldenScaling().Plot()
		if err != nil || len(warnings) != 0 || len(fits) != 2 {
			t.Fatalf("err %v warnings %q fits %d", err, warnings, len(fits))
		}
		if err := WritePlot(&b, p, format, 4*vg.Inch, 3*vg.Inch); err != nil {
			t.Fatal(err)
		}
	case "shots":
		p, err := goldenShots().Plot()
		if err != nil {
			t.Fatal(err)
		}
		if err := WritePlot(&b, p, format, 4*vg.Inch, 3*vg.Inch); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// pixelDiff returns the fraction of pixels whose colour differs by more
// than tol in any channel (0–255), and whether the sizes match.
func pixelDiff(a, b image.Image, tol int) (float64, bool) {
	if a.Bounds() != b.Bounds() {
		return 1, false
	}
	r := a.Bounds()
	diff := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			for _, d := range []int{int(r1>>8) - int(r2>>8), int(g1>>8) - int(g2>>8), int(b1>>8) - int(b2>>8)} {
				if d > tol || -d > tol {
					diff++
					break
				}
			}
		}
	}
	return float64(diff) / float64(r.Dx()*r.Dy()), true
}

func TestPlotGoldenPNG(t *testing.T) {
	for _, which := range []string{"scaling", "shots"} {
		t.Run(which, func(t *testing.T) {
			got := renderGolden(t, which, "png")
			path := filepath.Join("testdata", which+".png")
			if *update {
				os.WriteFile(path, got, 0o644)
			}
			wantData, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -update creates it)", err)
			}
			gi, err := png.Decode(bytes.NewReader(got))
			if err != nil {
				t.Fatal(err)
			}
			wi, err := png.Decode(bytes.NewReader(wantData))
			if err != nil {
				t.Fatal(err)
			}
			// 4 × 3 inches at 96 dpi.
			if gi.Bounds().Dx() != 384 || gi.Bounds().Dy() != 288 {
				t.Errorf("size %v", gi.Bounds())
			}
			frac, same := pixelDiff(gi, wi, 40)
			if !same || frac > 0.005 {
				t.Errorf("%s.png: %.2f%% of pixels differ (size match %v); inspect and run go test -update if the change is intended", which, 100*frac, same)
			}
			if blank := nonWhite(gi); blank < 0.02 {
				t.Errorf("plot is nearly blank: %.2f%% non-white", 100*blank)
			}
		})
	}
}

// nonWhite returns the fraction of pixels that are not near white.
func nonWhite(img image.Image) float64 {
	r := img.Bounds()
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if cr>>8 < 230 || cg>>8 < 230 || cb>>8 < 230 {
				n++
			}
		}
	}
	return float64(n) / float64(r.Dx()*r.Dy())
}

// svgStructure lists an SVG's elements and text, ignoring coordinates.
func svgStructure(t *testing.T, data []byte) []string {
	t.Helper()
	var out []string
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			out = append(out, "<"+tok.Name.Local)
		case xml.CharData:
			if s := strings.TrimSpace(string(tok)); s != "" {
				out = append(out, s)
			}
		}
	}
}

func TestPlotGoldenSVG(t *testing.T) {
	for _, which := range []string{"scaling", "shots"} {
		t.Run(which, func(t *testing.T) {
			got := renderGolden(t, which, "svg")
			path := filepath.Join("testdata", which+".svg")
			if *update {
				os.WriteFile(path, got, 0o644)
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -update creates it)", err)
			}
			gs, ws := svgStructure(t, got), svgStructure(t, want)
			if strings.Join(gs, "\n") != strings.Join(ws, "\n") {
				t.Errorf("%s.svg structure differs from the golden file:\n%s", which, strings.Join(gs, " "))
			}
		})
	}
	s := string(renderGolden(t, "scaling", "svg"))
	for _, want := range []string{">lambada_openai<", ">GPT-3 Table H.1<", ">fitted trend: log-linear<", ">100M<", ">1B<", ">100B<", "stroke-dasharray"} {
		if !strings.Contains(s, want) {
			t.Errorf("scaling.svg lacks %q", want)
		}
	}
}

func TestScalingPlotBadPoints(t *testing.T) {
	sp := &ScalingPlot{Title: "t", YLabel: "perplexity", LogY: true, Fit: FitPowerLaw, Series: []Series{
		{Label: "a", Points: []Point{{0, 10, 1}, {1e6, math.NaN(), 1}, {2e6, 30, 40}, {4e6, 20, 1}}},
		{Label: "b", Points: []Point{{1e6, 50, 1}}},
	}}
	p, fits, warnings, err := sp.Plot()
	if err != nil || p == nil {
		t.Fatal(err)
	}
	// a: two points left out, a power law through (2e6, 30), (4e6, 20):
	// B = log(20/30)/log 2 = −0.585.
	if len(fits) != 2 || !near(fits[0].Fit.B, math.Log(20.0/30)/math.Log(2), 1e-12) {
		t.Errorf("fits = %+v", fits)
	}
	w := strings.Join(warnings, "\n")
	if !strings.Contains(w, "a: 2 point(s)") || strings.Contains(w, "no trend") {
		t.Errorf("warnings = %q", warnings)
	}
	if len(fits) != 2 || fits[1].Label != "b" || fits[1].NoTrend != "no trend: only one model size (1M) has a value, and a trend needs at least two" {
		t.Errorf("fits = %+v", fits)
	}
	if _, _, _, err := (&ScalingPlot{Series: []Series{{Label: "x", Points: []Point{{0, 1, 0}}}}}).Plot(); err == nil {
		t.Error("a plot without any parameter count was drawn")
	}
}

// labels returns the labels of the ticks inside [min, max].
func labels(ticks []plot.Tick, min, max float64) []string {
	var out []string
	for _, t := range ticks {
		if t.Label != "" && t.Value >= min && t.Value <= max {
			out = append(out, t.Label)
		}
	}
	return out
}

// TestLogTicksInsideOneDecade checks that a log axis gets at least two
// labelled ticks whatever its range, with the labels worked out by hand
// from logTicks' rule (decades; else 1, 2, 5 × 10^e; else 1…9 × 10^e).
func TestLogTicksInsideOneDecade(t *testing.T) {
	cases := []struct {
		name     string
		ticker   plot.Ticker
		min, max float64
		want     string
	}{
		// Perplexities 20 to 45: of 1, 2, 5 × 10 only 20 is inside; of
		// 1…9 × 10: 20, 30, 40.
		{"perplexity 20–45", valueTicks{}, 20, 45, "20 30 40"},
		// Two models, 124M and 355M, with the plot's margin of 1.6:
		// 77.5M to 568M holds 100M, 200M, 500M.
		{"two models", paramTicks{}, 124e6 / 1.6, 355e6 * 1.6, "100M 200M 500M"},
		// Bits per byte 0.9 to 1.2: 1 only of 1, 2, 5; 0.9 and 1 of 1…9.
		{"bits per byte", valueTicks{}, 0.9, 1.2, "0.9 1"},
		// Two decades inside: the decades, as before.
		{"ladder 22K–2.2M", paramTicks{}, 35e3 / 1.6, 1.4e6 * 1.6, "100K 1M"},
		{"five decades", paramTicks{}, 1e6, 2e9, "1M 10M 100M 1B"},
		// 1.2B to 1.8B: no multiple of a decade inside; the round values
		// of plot.DefaultTicks, steps of 0.3B, with their decimals.
		{"1.2B–1.8B", paramTicks{}, 1.2e9, 1.8e9, "1.2B 1.5B 1.8B"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := labels(c.ticker.Ticks(c.min, c.max), c.min, c.max)
			if strings.Join(got, " ") != c.want {
				t.Errorf("labels %q, want %q", got, c.want)
			}
		})
	}
}

// TestScalingPlotTicksInsideOneDecade draws the case of the main job's
// perplexity plot: two models, values inside one decade on a log y axis.
// Both axes carry labels inside their range, and the SVG shows them.
func TestScalingPlotTicksInsideOneDecade(t *testing.T) {
	sp := &ScalingPlot{Title: "perplexity against model size", YLabel: "perplexity", LogY: true,
		Series: []Series{{Label: "wikitext2", Points: []Point{{124e6, 30, math.NaN()}, {355e6, 20, math.NaN()}}}}}
	p, _, _, err := sp.Plot()
	if err != nil {
		t.Fatal(err)
	}
	// y: 20 to 30 raised by headroom (one legend entry: 30·1.5^0.18 =
	// 32.3): 20 and 30. x: 124M/1.6 to 355M·1.6: 100M, 200M, 500M.
	if !near(p.Y.Min, 20, 1e-9) || !near(p.Y.Max, 30*math.Pow(1.5, 0.18), 1e-9) {
		t.Fatalf("y range [%g, %g]", p.Y.Min, p.Y.Max)
	}
	y := labels(p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max), p.Y.Min, p.Y.Max)
	x := labels(p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max), p.X.Min, p.X.Max)
	if strings.Join(y, " ") != "20 30" || strings.Join(x, " ") != "100M 200M 500M" {
		t.Errorf("y labels %q, x labels %q", y, x)
	}
	var b bytes.Buffer
	if err := WritePlot(&b, p, "svg", 4*vg.Inch, 3*vg.Inch); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{">20<", ">30<", ">100M<", ">200M<", ">500M<"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("svg lacks the tick label %q", want)
		}
	}
}
