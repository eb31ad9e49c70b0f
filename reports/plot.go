package reports

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/kshot-eval/kshot/eval"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Point is one plotted value.
type Point struct {
	X   float64 // parameter count (scaling plots) or k (shots plots)
	Y   float64 // metric value
	Err float64 // standard error of Y; NaN when unknown (no error bar)
}

// Series is one line of a plot.
type Series struct {
	Label  string
	Points []Point
	// Reference holds published values for the same quantity (for
	// example the GPT-2 paper's), drawn as crosses in the series' colour
	// and listed in the legend as RefLabel.
	Reference []Point
	RefLabel  string
}

// FitKind selects the trend fitted to a scaling series.
type FitKind int

const (
	FitNone      FitKind = iota
	FitLogLinear         // y = A + B·log10(N): accuracy-like metrics
	FitPowerLaw          // y = A·N^B, fitted as a line in log-log space: perplexity, loss
)

// Fit is a trend fitted by least squares (gonum's stat.LinearRegression).
type Fit struct {
	Kind FitKind
	A, B float64
	R2   float64 // coefficient of determination in the space of the fit
	N    int     // points fitted
}

// ErrTooFewPoints is returned when fewer than two distinct sizes are
// available for a fit.
var ErrTooFewPoints = errors.New("reports: a trend needs at least two distinct sizes")

// FitTrend fits kind to the points' (X, Y); points with X ≤ 0, a
// non-finite Y, or Y ≤ 0 for a power law, are an error.
func FitTrend(kind FitKind, pts []Point) (Fit, error) {
	f := Fit{Kind: kind, N: len(pts)}
	xs := make([]float64, len(pts))
	ys := make([]float64, len(pts))
	distinct := map[float64]bool{}
	for i, p := range pts {
		if !(p.X > 0) || math.IsNaN(p.Y) || math.IsInf(p.Y, 0) || kind == FitPowerLaw && p.Y <= 0 {
			return f, fmt.Errorf("reports: cannot fit the point (%g, %g)", p.X, p.Y)
		}
		xs[i], ys[i] = math.Log10(p.X), p.Y
		if kind == FitPowerLaw {
			ys[i] = math.Log10(p.Y)
		}
		distinct[p.X] = true
	}
	if len(distinct) < 2 {
		return f, ErrTooFewPoints
	}
	switch kind {
	case FitLogLinear, FitPowerLaw:
	default:
		return f, fmt.Errorf("reports: unknown fit kind %d", kind)
	}
	a, b := stat.LinearRegression(xs, ys, nil, false)
	f.A, f.B = a, b
	if kind == FitPowerLaw {
		f.A = math.Pow(10, a)
	}
	f.R2 = stat.RSquared(xs, ys, nil, a, b)
	return f, nil
}

// Predict returns the fitted value at x (a parameter count).
func (f Fit) Predict(x float64) float64 {
	switch f.Kind {
	case FitLogLinear:
		return f.A + f.B*math.Log10(x)
	case FitPowerLaw:
		return f.A * math.Pow(x, f.B)
	}
	return math.NaN()
}

// String writes the fitted formula, e.g. "y = 0.2000 + 0.0500·log10(N)".
func (f Fit) String() string {
	switch f.Kind {
	case FitLogLinear:
		sign, b := "+", f.B
		if b < 0 {
			sign, b = "−", -b
		}
		return fmt.Sprintf("y = %.4g %s %.4g·log10(N)", f.A, sign, b)
	case FitPowerLaw:
		return fmt.Sprintf("y = %.4g·N^%.4g", f.A, f.B)
	}
	return "no fit"
}

// SeriesFit is the trend fitted to one series and its extrapolations, or
// why there is none.
type SeriesFit struct {
	Label       string
	Fit         Fit
	Predictions []Prediction // at ScalingPlot.Extrapolate
	// NoTrend, when set, says in words why no trend was fitted (Fit and
	// Predictions are then empty).
	NoTrend string
}

// Prediction is a trend's value at a parameter count, kept inside the
// metric's range: an accuracy never past [0, 1], a perplexity never
// below 1.
type Prediction struct {
	X, Y float64
	// Raw is the trend's own value; Capped is set when it lay outside the
	// metric's range and Y is the bound.
	Raw    float64
	Capped bool
}

// String writes the prediction with, when capped, the trend's own value.
func (p Prediction) String() string {
	if p.Capped {
		return fmt.Sprintf("%s (capped; the trend gives %s)", FormatValue(p.Y), FormatValue(p.Raw))
	}
	return FormatValue(p.Y)
}

// fitSeries fits kind to pts (usable points, sorted by X) and predicts
// at extrapolate, keeping predictions inside rng; a series that cannot be
// fitted gets NoTrend.
func fitSeries(label string, kind FitKind, pts []Point, extrapolate []float64, rng eval.Range) SeriesFit {
	sf := SeriesFit{Label: label}
	fit, err := FitTrend(kind, pts)
	switch {
	case errors.Is(err, ErrTooFewPoints):
		sizes := map[float64]bool{}
		for _, p := range pts {
			sizes[p.X] = true
		}
		if len(sizes) == 0 {
			sf.NoTrend = "no trend: no model has a value with a parameter count"
		} else {
			sf.NoTrend = fmt.Sprintf("no trend: only one model size (%s) has a value, and a trend needs at least two", FormatParams(int64(pts[0].X)))
		}
		return sf
	case err != nil:
		sf.NoTrend = fmt.Sprintf("no trend: %v", strings.TrimPrefix(err.Error(), "reports: "))
		return sf
	}
	sf.Fit = fit
	for _, x := range extrapolate {
		if x > 0 {
			raw := fit.Predict(x)
			y, capped := rng.Clamp(raw)
			sf.Predictions = append(sf.Predictions, Prediction{X: x, Y: y, Raw: raw, Capped: capped})
		}
	}
	return sf
}

// ScalingPlot is a metric against parameter count on a log x axis.
type ScalingPlot struct {
	Title, YLabel  string
	HigherIsBetter bool // places the legend in the corner the data leaves free
	Series         []Series
	Fit            FitKind   // FitNone: no trend lines
	Extrapolate    []float64 // parameter counts to extend the trend to
	LogY           bool      // log y axis (perplexity)
	// Range is the metric's range (eval.MetricRange): trends and
	// extrapolations are drawn and predicted inside it.
	Range eval.Range
}

// palette is Tableau 10, readable in colour and distinguishable in grey.
var palette = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0xd6, 0x27, 0x28, 0xff},
	{0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
	{0xbc, 0xbd, 0x22, 0xff}, {0x17, 0xbe, 0xcf, 0xff},
}

var glyphs = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}}

// Plot builds the plot and fits the trends (one SeriesFit per series when
// Fit is set, with NoTrend saying why a series has none). Points with X ≤
// 0 (unknown parameter count) or a non-finite Y are left out with a
// warning.
func (s *ScalingPlot) Plot() (*plot.Plot, []SeriesFit, []string, error) {
	p := plot.New()
	p.Title.Text = s.Title
	p.X.Label.Text = "parameters"
	p.Y.Label.Text = s.YLabel
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = paramTicks{}
	if s.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = valueTicks{}
	}
	placeLegend(p, s.HigherIsBetter)
	p.Add(plotter.NewGrid())
	var warnings []string
	var fits []SeriesFit
	xmin, xmax := math.Inf(1), math.Inf(-1)
	for _, x := range s.Extrapolate {
		if x > 0 {
			xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
		}
	}
	var fitLegend *plotter.Line
	entries := 0
	for i, ser := range s.Series {
		col := palette[i%len(palette)]
		pts, bad := usable(ser.Points, s.LogY)
		if bad > 0 {
			warnings = append(warnings, fmt.Sprintf("%s: %d point(s) without a parameter count or a finite value left out", ser.Label, bad))
		}
		refs, _ := usable(ser.Reference, s.LogY)
		for _, q := range append(append([]Point(nil), pts...), refs...) {
			xmin, xmax = math.Min(xmin, q.X), math.Max(xmax, q.X)
		}
		if len(pts) > 0 {
			line, scatter, err := plotter.NewLinePoints(xys(pts))
			if err != nil {
				return nil, nil, nil, err
			}
			line.Color, line.Width = col, vg.Points(1.5)
			scatter.Color, scatter.Shape, scatter.Radius = col, glyphs[i%len(glyphs)], vg.Points(3)
			p.Add(line, scatter)
			p.Legend.Add(ser.Label, line, scatter)
			entries++
			if bars, err := errorBars(pts, s.LogY); err != nil {
				return nil, nil, nil, err
			} else if bars != nil {
				bars.Color = col
				p.Add(bars)
			}
		}
		if len(refs) > 0 {
			sc, err := plotter.NewScatter(xys(refs))
			if err != nil {
				return nil, nil, nil, err
			}
			sc.Color, sc.Shape, sc.Radius = col, draw.CrossGlyph{}, vg.Points(4)
			p.Add(sc)
			label := ser.RefLabel
			if label == "" {
				label = ser.Label + " (reference)"
			}
			p.Legend.Add(label, sc)
			entries++
		}
		if s.Fit == FitNone {
			continue
		}
		sf := fitSeries(ser.Label, s.Fit, pts, s.Extrapolate, s.Range)
		fits = append(fits, sf)
		if sf.NoTrend != "" {
			continue
		}
		lo, hi := pts[0].X, pts[len(pts)-1].X
		for _, q := range sf.Predictions {
			lo, hi = math.Min(lo, q.X), math.Max(hi, q.X)
		}
		curve := make(plotter.XYs, 64)
		for k := range curve {
			x := lo * math.Pow(hi/lo, float64(k)/float64(len(curve)-1))
			curve[k].X = x
			curve[k].Y, _ = s.Range.Clamp(sf.Fit.Predict(x))
		}
		if s.LogY && !allPositive(curve) {
			warnings = append(warnings, fmt.Sprintf("%s: the trend leaves the log axis; not drawn", ser.Label))
			continue
		}
		fl, err := plotter.NewLine(curve)
		if err != nil {
			return nil, nil, nil, err
		}
		fl.Color, fl.Width, fl.Dashes = col, vg.Points(1), []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(fl)
		fitLegend = fl
		pred := make(plotter.XYs, len(sf.Predictions))
		for k, q := range sf.Predictions {
			pred[k].X, pred[k].Y = q.X, q.Y
		}
		if len(pred) > 0 && (!s.LogY || allPositive(pred)) {
			sc, err := plotter.NewScatter(pred)
			if err != nil {
				return nil, nil, nil, err
			}
			sc.Color, sc.Shape, sc.Radius = col, draw.RingGlyph{}, vg.Points(4)
			p.Add(sc)
		}
	}
	if fitLegend != nil {
		gray := *fitLegend
		gray.Color = color.Gray{0x60}
		p.Legend.Add("fitted trend: "+fitName(s.Fit), &gray)
		entries++
	}
	if math.IsInf(xmin, 0) {
		return nil, nil, warnings, errors.New("reports: nothing to plot (no point has a parameter count)")
	}
	p.X.Min, p.X.Max = xmin/1.6, xmax*1.6
	headroom(p, entries, s.LogY)
	return p, fits, warnings, nil
}

func fitName(k FitKind) string {
	if k == FitPowerLaw {
		return "power law"
	}
	return "log-linear"
}

// usable returns the points that can be drawn, sorted by X, and how many
// were left out.
func usable(pts []Point, logY bool) ([]Point, int) {
	var out []Point
	for _, p := range pts {
		if p.X > 0 && !math.IsNaN(p.Y) && !math.IsInf(p.Y, 0) && (!logY || p.Y > 0) {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].X < out[j].X })
	return out, len(pts) - len(out)
}

func xys(pts []Point) plotter.XYs {
	out := make(plotter.XYs, len(pts))
	for i, p := range pts {
		out[i].X, out[i].Y = p.X, p.Y
	}
	return out
}

func allPositive(xy plotter.XYs) bool {
	for _, p := range xy {
		if !(p.Y > 0) || math.IsInf(p.Y, 0) {
			return false
		}
	}
	return true
}

// errPoints adapts points with standard errors to plotter.YErrorBars.
type errPoints struct {
	plotter.XYs
	plotter.YErrors
}

// errorBars returns ± one standard error bars for the points that have
// one, nil when none has; on a log axis the lower bar stops above zero.
func errorBars(pts []Point, logY bool) (*plotter.YErrorBars, error) {
	var e errPoints
	for _, p := range pts {
		if math.IsNaN(p.Err) || math.IsInf(p.Err, 0) || p.Err <= 0 {
			continue
		}
		low := p.Err
		if logY && p.Y-low <= 0 {
			low = 0.9 * p.Y
		}
		e.XYs = append(e.XYs, plotter.XY{X: p.X, Y: p.Y})
		e.YErrors = append(e.YErrors, struct{ Low, High float64 }{low, p.Err})
	}
	if len(e.XYs) == 0 {
		return nil, nil
	}
	return plotter.NewYErrorBars(e)
}

// placeLegend puts the legend in the top left or right corner, clear of
// the axis and the title.
func placeLegend(p *plot.Plot, left bool) {
	p.Legend.Top, p.Legend.Left = true, left
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(6), -vg.Points(4)
	if left {
		p.Legend.XOffs = vg.Points(6)
	}
}

// headroom raises the top of the y axis so that a legend of n entries
// at the top does not cover the data.
func headroom(p *plot.Plot, n int, logY bool) {
	f := math.Min(0.8, 0.1+0.08*float64(n))
	lo, hi := p.Y.Min, p.Y.Max
	if hi <= lo {
		return
	}
	if logY && lo > 0 {
		p.Y.Max = hi * math.Pow(hi/lo, f)
		return
	}
	p.Y.Max = hi + f*(hi-lo)
}

// ShotsPlot is a metric against the number of examples in the context
// (k = 0, 1, few), one line per model, like Figure 1.2 of the GPT-3
// paper. The distinct values of k are spaced evenly.
type ShotsPlot struct {
	Title, YLabel  string
	HigherIsBetter bool
	Series         []Series // X = k
	LogY           bool
}

// Plot builds the plot.
func (s *ShotsPlot) Plot() (*plot.Plot, error) {
	ks := map[float64]bool{}
	for _, ser := range s.Series {
		for _, p := range ser.Points {
			ks[p.X] = true
		}
	}
	if len(ks) == 0 {
		return nil, errors.New("reports: nothing to plot")
	}
	var order []float64
	for k := range ks {
		order = append(order, k)
	}
	sort.Float64s(order)
	pos := map[float64]float64{}
	var ticks plot.ConstantTicks
	for i, k := range order {
		pos[k] = float64(i)
		ticks = append(ticks, plot.Tick{Value: float64(i), Label: fmt.Sprintf("%g", k)})
	}
	p := plot.New()
	p.Title.Text = s.Title
	p.X.Label.Text = "examples in context (k)"
	p.Y.Label.Text = s.YLabel
	p.X.Tick.Marker = ticks
	p.X.Min, p.X.Max = -0.3, float64(len(order)-1)+0.3
	if s.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = valueTicks{}
	}
	placeLegend(p, true)
	p.Add(plotter.NewGrid())
	for i, ser := range s.Series {
		var pts []Point
		for _, q := range ser.Points {
			if !math.IsNaN(q.Y) && !math.IsInf(q.Y, 0) && (!s.LogY || q.Y > 0) {
				pts = append(pts, Point{X: pos[q.X], Y: q.Y, Err: q.Err})
			}
		}
		if len(pts) == 0 {
			continue
		}
		sort.SliceStable(pts, func(a, b int) bool { return pts[a].X < pts[b].X })
		col := palette[i%len(palette)]
		line, scatter, err := plotter.NewLinePoints(xys(pts))
		if err != nil {
			return nil, err
		}
		line.Color, line.Width = col, vg.Points(1.5)
		scatter.Color, scatter.Shape, scatter.Radius = col, glyphs[i%len(glyphs)], vg.Points(3)
		p.Add(line, scatter)
		p.Legend.Add(ser.Label, line, scatter)
		bars, err := errorBars(pts, s.LogY)
		if err != nil {
			return nil, err
		}
		if bars != nil {
			bars.Color = col
			p.Add(bars)
		}
	}
	headroom(p, len(s.Series), s.LogY)
	return p, nil
}

// WritePlot renders p as "png" or "svg" at width × height.
func WritePlot(w io.Writer, p *plot.Plot, format string, width, height vg.Length) error {
	if format != "png" && format != "svg" {
		return fmt.Errorf("reports: unsupported plot format %q (want png or svg)", format)
	}
	wt, err := p.WriterTo(width, height, format)
	if err != nil {
		return err
	}
	_, err = wt.WriteTo(w)
	return err
}
