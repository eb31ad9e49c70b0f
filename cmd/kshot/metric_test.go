package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The corpus of sacreBLEU's README.md ("Using SacreBLEU from Python") and
// test/test_bleu.py: three segments, two reference streams.
const (
	metricTestHyps = "The dog bit the man.\nIt wasn't surprising.\nThe man had just bitten him.\n"
	metricTestRef1 = "The dog bit the man.\nIt was not unexpected.\nThe man bit him first.\n"
	metricTestRef2 = "The dog had bit the man.\nNo one was surprised.\nThe man had bitten the dog.\n"
)

// metricTestFile writes content to a temporary file and returns its path.
func metricTestFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runMetric runs kshot with args and stdin and returns stdout, the error
// message and the exit status.
func runMetric(stdin string, args ...string) (string, string, int) {
	var out bytes.Buffer
	err := run(append([]string{"metric"}, args...), strings.NewReader(stdin), &out, io.Discard)
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	return out.String(), msg, exitCode(err, io.Discard)
}

func TestMetricPublishedScores(t *testing.T) {
	r1 := metricTestFile(t, "ref1.txt", metricTestRef1)
	r2 := metricTestFile(t, "ref2.txt", metricTestRef2)
	// README "Variable Number of References": the first reference of the
	// first stream is missing (an empty line).
	r1var := metricTestFile(t, "ref1var.txt", "\n"+strings.SplitN(metricTestRef1, "\n", 2)[1])
	// huggingface/evaluate metrics/chrf/chrf.py Example 2 (chrF++).
	hfHyps := "The relationship between cats and dogs is not exactly friendly.\na good bookshop is just a genteel black hole that knows how to read.\n"
	hfRef := metricTestFile(t, "hf.txt", "The relationship between dogs and cats is not exactly friendly.\nA good bookshop is just a genteel Black Hole that knows how to read.\n")
	// sacreBLEU test/test_ter.py::test_ter "a single shift fixes MT".
	terRef := metricTestFile(t, "ter.txt", "a b c d e f g h\n")
	cases := []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"README BLEU", metricTestHyps, []string{"bleu", "--refs", r1, "--refs", r2},
			"BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)"},
		{"README BLEU variable refs", metricTestHyps, []string{"bleu", "--refs", r1var, "--refs", r2},
			"BLEU = 29.44 82.4/42.9/27.3/12.5 (BP = 0.889 ratio = 0.895 hyp_len = 17 ref_len = 19)"},
		// test_bleu.py::test_corpus_bleu: 48.530827, tokenize none 49.1919566, intl 43.91623493.
		{"score only, width 4", metricTestHyps, []string{"bleu", "--refs", r1, "--refs", r2, "--score-only", "--width", "4"}, "48.5308"},
		{"tokenize none", metricTestHyps, []string{"--refs", r1, "--refs", r2, "--tokenize", "none", "--score-only", "bleu"}, "49.19"},
		{"tokenize intl", metricTestHyps, []string{"bleu", "--refs=" + r1, "--refs=" + r2, "--tokenize=intl", "--score-only"}, "43.92"},
		{"smooth none", metricTestHyps, []string{"bleu", "--refs", r1, "--refs", r2, "--smooth-method", "none", "--score-only"}, "48.53"},
		{"README chrF", metricTestHyps, []string{"chrf", "--refs", r1, "--refs", r2}, "chrF2 = 59.73"},
		{"HF chrF++", hfHyps, []string{"chrf", "--refs", hfRef, "--chrf-word-order", "2"}, "chrF2++ = 82.87"},
		{"HF chrF++ lowercase", hfHyps, []string{"chrf", "--refs", hfRef, "--chrf-word-order", "2", "--lowercase", "--score-only", "--width", "6"}, "92.128531"},
		{"TER shift", "d e f g h a b c", []string{"ter", "--refs", terRef}, "TER = 12.50"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, msg, code := runMetric(c.stdin, c.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, msg)
			}
			if got := strings.TrimSuffix(out, "\n"); got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestMetricErrors(t *testing.T) {
	r1 := metricTestFile(t, "ref1.txt", metricTestRef1)
	short := metricTestFile(t, "short.txt", "only one line\n")
	empty := metricTestFile(t, "empty.txt", "a\n\nc\n")
	cases := []struct {
		name, stdin string
		args        []string
		code        int
		want        []string
	}{
		{"line counts differ", metricTestHyps, []string{"bleu", "--refs", short}, 1,
			[]string{short, "1 lines", "standard input", "have 3"}},
		{"unknown metric", metricTestHyps, []string{"blue", "--refs", r1}, 2, []string{`"blue"`, "bleu, chrf, ter"}},
		{"no metric", metricTestHyps, []string{"--refs", r1}, 2, []string{"bleu, chrf or ter"}},
		{"unknown tokenizer", metricTestHyps, []string{"bleu", "--refs", r1, "--tokenize", "zh"}, 2, []string{`"zh"`, "13a, char, intl, none"}},
		{"unknown smoothing", metricTestHyps, []string{"bleu", "--refs", r1, "--smooth-method", "add1"}, 2, []string{`"add1"`, "add-k, exp, floor, none"}},
		{"value without method", metricTestHyps, []string{"bleu", "--refs", r1, "--smooth-value", "0.5"}, 2, []string{"takes no value"}},
		{"flag of another metric", metricTestHyps, []string{"ter", "--refs", r1, "--tokenize", "intl"}, 2, []string{"--tokenize applies to bleu only"}},
		{"missing refs", metricTestHyps, []string{"chrf"}, 2, []string{"--refs"}},
		{"bad flag", metricTestHyps, []string{"chrf", "--refs", r1, "--beta", "3"}, 2, []string{"-beta"}},
		{"extra argument", metricTestHyps, []string{"chrf", "--refs", r1, "hyp.txt"}, 2, []string{`"hyp.txt"`, "standard input"}},
		{"missing file", metricTestHyps, []string{"ter", "--refs", r1 + ".nope"}, 1, []string{".nope"}},
		{"invalid UTF-8", "ok\nbad \xff\nok\n", []string{"bleu", "--refs", r1}, 1, []string{"standard input:2", "UTF-8"}},
		{"every reference empty", "a\nb\nc\n", []string{"chrf", "--refs", empty, "--refs", empty}, 1, []string{"line 2", empty, "several --refs"}},
		{"no hypotheses", "", []string{"bleu", "--refs", metricTestFile(t, "none.txt", "")}, 1, []string{"no hypotheses"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, msg, code := runMetric(c.stdin, c.args...)
			if code != c.code {
				t.Fatalf("exit %d (%s), want %d", code, msg, c.code)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			if out != "" {
				t.Errorf("stdout %q on error", out)
			}
		})
	}
}

func TestMetricHelp(t *testing.T) {
	out, msg, code := runMetric("", "-h")
	if code != 0 || !strings.Contains(out, "usage: kshot metric bleu|chrf|ter") || !strings.Contains(out, "-smooth-method") {
		t.Errorf("exit %d (%s), output %q", code, msg, out)
	}
}

// TestMetricEmptyReference: with one --refs file an empty line is an empty
// reference, as in sacreBLEU. The values are sacreBLEU's
// test/test_ter.py (mjpost/sacrebleu) corner cases "empty reference"
// (TER 1, i.e. 100) and "both reference and hypothesis empty" (0).
func TestMetricEmptyReference(t *testing.T) {
	cases := []struct{ name, hyp, ref, want string }{
		{"empty reference", "a\n", "\n", "100.00\n"},
		{"both empty", "\n", "\n", "0.00\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ref := metricTestFile(t, "ref.txt", c.ref)
			out, msg, code := runMetric(c.hyp, "ter", "--refs", ref, "--score-only")
			if code != 0 || out != c.want {
				t.Errorf("kshot metric ter: exit %d (%s), output %q, want %q", code, msg, out, c.want)
			}
		})
	}
}
