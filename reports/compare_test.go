package reports

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// concat joins outcome lists.
func concat(parts ...[]float64) []float64 {
	var out []float64
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func ones(n int) []float64  { return outcomes(n, n) }
func zeros(n int) []float64 { return outcomes(n, 0) }

// mcnemarPair returns base and new outcomes with b documents right only
// in base, c right only in new, and both right on 5, both wrong on 5.
func mcnemarPair(b, c int) (base, new []float64) {
	base = concat(ones(b), zeros(c), ones(5), zeros(5))
	new = concat(zeros(b), ones(c), ones(5), zeros(5))
	return
}

func compareModels(t *testing.T, base, new []eval.TaskResult, dropNewSamples bool) (*Model, *Model) {
	t.Helper()
	dir := t.TempDir()
	bp := writeTestRun(t, dir, testModel{Name: "base", Params: 117e6, Fingerprint: "fb"}, base...)
	np := writeTestRun(t, dir, testModel{Name: "new", Params: 117e6, Fingerprint: "fn"}, new...)
	if dropNewSamples {
		files, _ := filepath.Glob(filepath.Join(dir, "new", "samples_*"))
		for _, f := range files {
			os.Remove(f)
		}
	}
	return readTestModel(t, bp), readTestModel(t, np)
}

func TestCompareVerdicts(t *testing.T) {
	b8, c2 := mcnemarPair(8, 2)
	b10, c0 := mcnemarPair(10, 0)
	cases := []struct {
		name      string
		base, new eval.TaskResult
		opt       CompareOptions
		test      Method
		p         float64
		verdict   Verdict
		b, c      int
	}{
		// Exact McNemar, b=8, c=2: p = 2·P(X ≤ 2 | 10, ½) = 0.109375.
		{"mcnemar 8/2 not significant", binaryTask("winograd", "1.0", 0, "acc", true, b8), binaryTask("winograd", "1.0", 0, "acc", true, c2),
			CompareOptions{}, McNemarTest, 0.109375, Unchanged, 8, 2},
		{"mcnemar 8/2 at alpha 0.2", binaryTask("winograd", "1.0", 0, "acc", true, b8), binaryTask("winograd", "1.0", 0, "acc", true, c2),
			CompareOptions{Alpha: 0.2}, McNemarTest, 0.109375, Worse, 8, 2},
		// b=10, c=0: p = 2/1024.
		{"mcnemar 10/0 worse", binaryTask("winograd", "1.0", 0, "acc", true, b10), binaryTask("winograd", "1.0", 0, "acc", true, c0),
			CompareOptions{}, McNemarTest, 0.001953125, Worse, 10, 0},
		{"mcnemar 0/10 better", binaryTask("winograd", "1.0", 0, "acc", true, c0), binaryTask("winograd", "1.0", 0, "acc", true, b10),
			CompareOptions{}, McNemarTest, 0.001953125, Better, 0, 10},
		// Lower is better: fewer 1s in NEW is an improvement.
		{"lower is better", binaryTask("errors", "1.0", 0, "error", false, b10), binaryTask("errors", "1.0", 0, "error", false, c0),
			CompareOptions{}, McNemarTest, 0.001953125, Better, 10, 0},
		// Δ = −10/20 = −0.5 is significant but below --min-delta 0.6.
		{"below min delta", binaryTask("winograd", "1.0", 0, "acc", true, b10), binaryTask("winograd", "1.0", 0, "acc", true, c0),
			CompareOptions{MinDelta: map[string]float64{"": 0.6}}, McNemarTest, 0.001953125, Unchanged, 10, 0},
		{"per-metric min delta", binaryTask("winograd", "1.0", 0, "acc", true, b10), binaryTask("winograd", "1.0", 0, "acc", true, c0),
			CompareOptions{MinDelta: map[string]float64{"": 0.6, "acc": 0.4}}, McNemarTest, 0.001953125, Worse, 10, 0},
		// Non-binary mean metric (F1-like): paired bootstrap; a constant
		// +0.25 on every document reaches the p-value floor 2/(B+1).
		{"non-binary mean", binaryTask("squad", "1.0", 0, "f1", true, []float64{0.5, 0.25, 0, 0.5, 0.75, 0.25}),
			binaryTask("squad", "1.0", 0, "f1", true, []float64{0.75, 0.5, 0.25, 0.75, 1, 0.5}),
			CompareOptions{Iterations: 999}, PairedBootstrapTest, 0.002, Better, 0, 0},
		// Perplexity from summed statistics: NEW gains 0.5 nats on every
		// document, so every resample improves.
		{"perplexity better", perplexityTask("lambada_openai", "1.0", []float64{-2, -2.1, -1.9, -2.05, -1.95, -2}),
			perplexityTask("lambada_openai", "1.0", []float64{-1.5, -1.6, -1.4, -1.55, -1.45, -1.5}),
			CompareOptions{Iterations: 999}, PairedBootstrapTest, 0.002, Better, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bm, nm := compareModels(t, []eval.TaskResult{c.base}, []eval.TaskResult{c.new}, false)
			cmp := Compare(bm, nm, c.opt)
			if len(cmp.Rows) != 1 {
				t.Fatalf("%d rows", len(cmp.Rows))
			}
			r := cmp.Rows[0]
			if r.Test != c.test || !near(r.P, c.p, 1e-12) || r.Verdict != c.verdict || r.B != c.b || r.C != c.c {
				t.Errorf("row = test %s p %.17g verdict %s b %d c %d, want %s %g %s %d %d (notes %q)", r.Test, r.P, r.Verdict, r.B, r.C, c.test, c.p, c.verdict, c.b, c.c, r.Notes)
			}
			if c.base.Metrics[0].Name == "perplexity" {
				// exp(−mean): base mean −2, new mean −1.5.
				want := math.Exp(1.5) - math.Exp(2)
				if !near(r.Delta, want, 1e-9) || !(r.Low < 0 && r.High < 0) {
					t.Errorf("Δ = %g, want %g; interval [%g, %g]", r.Delta, want, r.Low, r.High)
				}
			}
		})
	}
}

func TestCompareCaveats(t *testing.T) {
	b8, c2 := mcnemarPair(8, 2)
	t.Run("different versions", func(t *testing.T) {
		bm, nm := compareModels(t, []eval.TaskResult{binaryTask("winograd", "1.0", 0, "acc", true, b8)},
			[]eval.TaskResult{binaryTask("winograd", "1.1", 0, "acc", true, c2)}, false)
		r := Compare(bm, nm, CompareOptions{Alpha: 0.5}).Rows[0]
		if r.Verdict != Incomparable || r.Test != NoTest || !math.IsNaN(r.P) || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "task versions differ (base v1.0, new v1.1)") {
			t.Errorf("row = %+v", r)
		}
	})
	t.Run("missing samples: unpaired z", func(t *testing.T) {
		bm, nm := compareModels(t, []eval.TaskResult{binaryTask("winograd", "1.0", 0, "acc", true, b8)},
			[]eval.TaskResult{binaryTask("winograd", "1.0", 0, "acc", true, c2)}, true)
		r := Compare(bm, nm, CompareOptions{}).Rows[0]
		// base 13/20, new 7/20; se = √(p(1−p)·n/(n−1))/√n = √(0.2275/19).
		se := math.Sqrt(0.65 * 0.35 / 19)
		want := math.Erfc(0.3 / math.Sqrt(2*se*se) / math.Sqrt2)
		if r.Test != UnpairedZTest || !near(r.P, want, 1e-9) || r.Verdict != Unchanged || len(r.Notes) != 1 ||
			!strings.Contains(r.Notes[0], "no per-sample log for winograd") || !strings.Contains(r.Notes[0], "unpaired z test") {
			t.Errorf("row = %+v, want p %g", r, want)
		}
	})
	t.Run("one side only", func(t *testing.T) {
		bm, nm := compareModels(t, []eval.TaskResult{binaryTask("piqa", "1.0", 0, "acc", true, b8)},
			[]eval.TaskResult{binaryTask("hellaswag", "1.0", 0, "acc", true, c2)}, false)
		c := Compare(bm, nm, CompareOptions{})
		if len(c.Rows) != 2 || c.Rows[0].Key != "hellaswag" || c.Rows[0].Verdict != OnlyNew || c.Rows[1].Verdict != OnlyBase {
			t.Fatalf("rows = %+v", c.Rows)
		}
		g, _ := ParseGate("worse")
		if len(c.Failures(g)) != 0 {
			t.Error("a missing task failed --fail-on worse")
		}
		g, _ = ParseGate("worse,missing")
		if f := c.Failures(g); len(f) != 1 || f[0].Key != "piqa" {
			t.Errorf("--fail-on missing: %+v", f)
		}
	})
	t.Run("different documents", func(t *testing.T) {
		nt := binaryTask("winograd", "1.0", 0, "acc", true, c2)
		nt.Samples[3].Target = " changed"
		bm, nm := compareModels(t, []eval.TaskResult{binaryTask("winograd", "1.0", 0, "acc", true, b8)}, []eval.TaskResult{nt}, false)
		r := Compare(bm, nm, CompareOptions{}).Rows[0]
		if r.Verdict != Incomparable || !strings.Contains(r.Notes[0], "first: document 3") {
			t.Errorf("row = %+v", r)
		}
	})
	t.Run("subset of documents", func(t *testing.T) {
		b10, c0 := mcnemarPair(10, 0)
		bm, nm := compareModels(t, []eval.TaskResult{binaryTask("winograd", "1.0", 0, "acc", true, b10)},
			[]eval.TaskResult{binaryTask("winograd", "1.0", 0, "acc", true, c0[:12])}, false)
		r := Compare(bm, nm, CompareOptions{}).Rows[0]
		// The first 12 documents: 10 discordant (b), 2 both right.
		if r.Paired != 12 || r.B != 10 || r.C != 0 || r.Verdict != Worse || !strings.Contains(strings.Join(r.Notes, " "), "paired test on the 12 documents both runs scored (base 20, new 12)") {
			t.Errorf("row = %+v", r)
		}
	})
	t.Run("same checkpoint and many tests", func(t *testing.T) {
		var tasks []eval.TaskResult
		for _, name := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
			tasks = append(tasks, binaryTask(name, "1.0", 0, "acc", true, b8))
		}
		dir := t.TempDir()
		p := writeTestRun(t, dir, testModel{Name: "m", Params: 1, Fingerprint: "same"}, tasks...)
		m := readTestModel(t, p)
		c := Compare(m, m, CompareOptions{})
		w := strings.Join(c.Warnings, "\n")
		if !strings.Contains(w, "same checkpoint") || !strings.Contains(w, "10 tests at α=0.05") || c.Count(Unchanged) != 10 {
			t.Errorf("warnings %q, %d unchanged", w, c.Count(Unchanged))
		}
	})
}

func TestParseGate(t *testing.T) {
	cases := []struct {
		in   string
		want Gate
		ok   bool
	}{{"none", 0, true}, {"worse", GateWorse, true}, {"worse,missing", GateWorse | GateMissing, true},
		{"incomparable, worse", GateWorse | GateIncomparable, true}, {"regress", 0, false}}
	for _, c := range cases {
		g, err := ParseGate(c.in)
		if g != c.want || (err == nil) != c.ok {
			t.Errorf("ParseGate(%q) = %v, %v", c.in, g, err)
		}
	}
}

// goldenComparison is a fixed comparison exercising every verdict.
func goldenComparison(t *testing.T) *Comparison {
	b10, c0 := mcnemarPair(10, 0)
	b8, c2 := mcnemarPair(8, 2)
	base := []eval.TaskResult{
		binaryTask("winograd", "1.0", 0, "acc", true, b10),
		binaryTask("piqa", "1.0", 0, "acc", true, b8),
		binaryTask("arc_easy", "1.0", 0, "acc", true, b8),
		binaryTask("cbt_cn", "1.0", 0, "acc", true, b8),
		perplexityTask("lambada_openai", "1.0", []float64{-2, -2.1, -1.9, -2.05, -1.95, -2}),
	}
	newer := []eval.TaskResult{
		binaryTask("winograd", "1.0", 0, "acc", true, c0),
		binaryTask("piqa", "1.0", 0, "acc", true, c2),
		binaryTask("arc_easy", "2.0", 0, "acc", true, c2),
		binaryTask("hellaswag", "1.0", 0, "acc", true, c2),
		perplexityTask("lambada_openai", "1.0", []float64{-1.5, -1.6, -1.4, -1.55, -1.45, -1.5}),
	}
	bm, nm := compareModels(t, base, newer, false)
	return Compare(bm, nm, CompareOptions{Iterations: 999, Seed: 1})
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, got)
	}
}

func TestComparisonRenderers(t *testing.T) {
	c := goldenComparison(t)
	verdicts := map[string]Verdict{}
	for _, r := range c.Rows {
		verdicts[r.Key] = r.Verdict
	}
	want := map[string]Verdict{"arc_easy": Incomparable, "cbt_cn": OnlyBase, "hellaswag": OnlyNew, "lambada_openai": Better, "piqa": Unchanged, "winograd": Worse}
	for k, v := range want {
		if verdicts[k] != v {
			t.Errorf("%s: verdict %s, want %s", k, verdicts[k], v)
		}
	}
	if got := c.Summary(); got != "1 worse, 1 better, 1 no significant change, 1 not comparable, 1 only in base, 1 only in new" {
		t.Errorf("summary = %q", got)
	}
	for _, f := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"compare.txt", func(b *bytes.Buffer) error { return c.WriteText(b) }},
		{"compare.md", func(b *bytes.Buffer) error { return c.WriteMarkdown(b) }},
	} {
		t.Run(f.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := f.write(&b); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, f.name, b.Bytes())
		})
	}
	t.Run("json", func(t *testing.T) {
		var b bytes.Buffer
		if err := c.WriteJSON(&b, GateWorse); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Failed   bool
			Failures int
			Counts   map[string]int
			Rows     []struct {
				Key     string
				Verdict string
				P       *float64 `json:"p_value"`
				B       *int     `json:"mcnemar_b"`
				Base    *struct{ Value float64 }
				Test    string
			}
		}
		if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if !doc.Failed || doc.Failures != 1 || doc.Counts["worse"] != 1 || doc.Counts["only_new"] != 1 || len(doc.Rows) != 6 {
			t.Errorf("doc = %+v", doc)
		}
		for _, r := range doc.Rows {
			switch r.Key {
			case "winograd":
				// 2/1024, 10 documents right only in BASE, acc 15/20.
				if r.Verdict != "worse" || r.P == nil || *r.P != 0.001953125 || r.B == nil || *r.B != 10 || r.Base.Value != 0.75 || r.Test != "mcnemar" {
					t.Errorf("winograd = %+v", r)
				}
			case "hellaswag":
				if r.Verdict != "only_new" || r.P != nil || r.Base != nil {
					t.Errorf("hellaswag = %+v", r)
				}
			}
		}
	})
	t.Run("junit", func(t *testing.T) {
		var b bytes.Buffer
		if err := c.WriteJUnit(&b, GateWorse|GateMissing); err != nil {
			t.Fatal(err)
		}
		var doc junitSuites
		if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		s := doc.Suites[0]
		// worse (winograd) and the gated missing cbt_cn fail; arc_easy and
		// hellaswag are skipped.
		if doc.Tests != 6 || doc.Failures != 2 || doc.Skipped != 2 || len(s.Cases) != 6 {
			t.Fatalf("suites = %+v", doc)
		}
		for _, tc := range s.Cases {
			failed := tc.Failure != nil
			if failed != (tc.Classname == "kshot.winograd" || tc.Classname == "kshot.cbt_cn") {
				t.Errorf("case %s.%s failure = %v", tc.Classname, tc.Name, tc.Failure)
			}
		}
		if !strings.Contains(b.String(), `<failure message="worse: base 0.7500 ± 0.0993, new 0.2500 ± 0.0993, Δ -0.5000 (-66.7%), McNemar b=10 c=0 p=0.0020" type="worse">`) {
			t.Errorf("junit:\n%s", b.String())
		}
	})
}
