package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kshot-eval/kshot/eval/sacrebleu"
)

// metricFlags are the parsed flags of kshot metric.
type metricFlags struct {
	refs                           metricRefsFlag
	tokenize, smoothMethod         string
	smoothValue                    float64
	lowercase, scoreOnly           bool
	width                          int
	chrfCharOrder, chrfWordOrder   int
	chrfBeta                       int
	chrfWhitespace, chrfEps        bool
	terCaseSensitive, terNormalize bool
	terNoPunct, terAsian           bool
}

// metricRefsFlag collects repeated --refs values.
type metricRefsFlag []string

func (r *metricRefsFlag) String() string     { return strings.Join(*r, ",") }
func (r *metricRefsFlag) Set(v string) error { *r = append(*r, v); return nil }

// metricFlagOwners names, for each metric-specific flag, the metrics it
// applies to.
var metricFlagOwners = map[string][]string{
	"tokenize": {"bleu"}, "smooth-method": {"bleu"}, "smooth-value": {"bleu"},
	"lowercase":       {"bleu", "chrf", "ter"},
	"chrf-char-order": {"chrf"}, "chrf-word-order": {"chrf"}, "chrf-beta": {"chrf"},
	"chrf-whitespace": {"chrf"}, "chrf-eps-smoothing": {"chrf"},
	"ter-case-sensitive": {"ter"}, "ter-normalized": {"ter"}, "ter-no-punct": {"ter"}, "ter-asian-support": {"ter"},
}

func newMetricFlagSet(f *metricFlags) *flag.FlagSet {
	fs := newFlagSet("metric", io.Discard)
	fs.Var(&f.refs, "refs", "a reference `FILE`, one segment per line (repeat for several references)")
	fs.StringVar(&f.tokenize, "tokenize", "13a", "BLEU tokenizer: "+strings.Join(sacrebleu.BLEUTokenizerNames(), ", "))
	fs.StringVar(&f.smoothMethod, "smooth-method", "exp", "BLEU smoothing: "+strings.Join(sacrebleu.BLEUSmoothMethods(), ", "))
	fs.Float64Var(&f.smoothValue, "smooth-value", 0, "value for floor (default 0.1) or add-k (default 1) smoothing")
	fs.BoolVar(&f.lowercase, "lowercase", false, "case-insensitive BLEU and chrF (TER is case-insensitive unless --ter-case-sensitive)")
	fs.IntVar(&f.chrfCharOrder, "chrf-char-order", 6, "chrF character n-gram order")
	fs.IntVar(&f.chrfWordOrder, "chrf-word-order", 0, "chrF word n-gram order (2 gives chrF++)")
	fs.IntVar(&f.chrfBeta, "chrf-beta", 2, "chrF beta (weight of recall)")
	fs.BoolVar(&f.chrfWhitespace, "chrf-whitespace", false, "keep whitespace in chrF character n-grams")
	fs.BoolVar(&f.chrfEps, "chrf-eps-smoothing", false, "chrF++.py-style epsilon smoothing instead of effective order")
	fs.BoolVar(&f.terCaseSensitive, "ter-case-sensitive", false, "case-sensitive TER")
	fs.BoolVar(&f.terNormalize, "ter-normalized", false, "TER with tercom's punctuation tokenization")
	fs.BoolVar(&f.terNoPunct, "ter-no-punct", false, "TER with punctuation removed")
	fs.BoolVar(&f.terAsian, "ter-asian-support", false, "TER with CJK characters split (with --ter-normalized) or CJK punctuation removed (with --ter-no-punct)")
	fs.BoolVar(&f.scoreOnly, "score-only", false, "print only the score")
	fs.IntVar(&f.width, "width", 2, "decimals of the score")
	return fs
}

// cmdMetric implements kshot metric.
func cmdMetric(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var f metricFlags
	fs := newMetricFlagSet(&f)
	metric := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		metric, args = strings.ToLower(args[0]), args[1:]
	}
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if metric == "" && len(rest) > 0 {
		metric, rest = strings.ToLower(rest[0]), rest[1:]
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("metric: unexpected argument %q (hypotheses are read from standard input)", rest[0])}
	}
	metrics := []string{"bleu", "chrf", "ter"}
	switch {
	case metric == "":
		return usageError{"metric: name a metric: bleu, chrf or ter (run kshot metric -h for the flags)"}
	case !slices.Contains(metrics, metric):
		return usageError{fmt.Sprintf("metric: unknown metric %q (valid: %s)", metric, strings.Join(metrics, ", "))}
	case len(f.refs) == 0:
		return usageError{"metric: at least one --refs file is required"}
	case f.width < 0:
		return usageError{fmt.Sprintf("metric: --width %d must not be negative", f.width)}
	}
	var misuse []string
	fs.Visit(func(fl *flag.Flag) {
		if owners, ok := metricFlagOwners[fl.Name]; ok && !slices.Contains(owners, metric) {
			misuse = append(misuse, fmt.Sprintf("--%s applies to %s only", fl.Name, strings.Join(owners, " and ")))
		}
	})
	if len(misuse) > 0 {
		sort.Strings(misuse)
		return usageError{fmt.Sprintf("metric %s: %s", metric, strings.Join(misuse, "; "))}
	}

	score, err := metricScorer(metric, f)
	if err != nil {
		return err
	}
	hyps, err := metricReadSegments(stdin, "standard input")
	if err != nil {
		return err
	}
	refs := make([][]string, len(f.refs))
	for r, path := range f.refs {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("metric: %w", err)
		}
		if refs[r], err = metricReadSegments(bytes.NewReader(data), path); err != nil {
			return err
		}
		if len(refs[r]) != len(hyps) {
			return fmt.Errorf("metric: reference file %s has %d lines but the hypotheses (standard input) have %d; the files must be line-aligned",
				path, len(refs[r]), len(hyps))
		}
	}
	if len(hyps) == 0 {
		return fmt.Errorf("metric: no hypotheses on standard input")
	}
	// With one reference file an empty line is an empty reference, as in
	// sacreBLEU; with several it means that file has none for the segment.
	for i := range hyps {
		if len(refs) == 1 {
			break
		}
		empty := true
		for r := range refs {
			empty = empty && refs[r][i] == ""
		}
		if empty {
			return fmt.Errorf("metric: line %d is empty in every reference file (%s); with several --refs an empty line means no reference, and each segment needs one",
				i+1, strings.Join(f.refs, ", "))
		}
	}
	full, value, err := score(hyps, refs, f.width)
	if err != nil {
		return fmt.Errorf("metric: %w", err)
	}
	if f.scoreOnly {
		fmt.Fprintln(stdout, strconv.FormatFloat(value, 'f', f.width, 64))
	} else {
		fmt.Fprintln(stdout, full)
	}
	return nil
}

// metricScorer validates the options of one metric and returns a function
// that scores a corpus and formats the result.
func metricScorer(metric string, f metricFlags) (func(hyps []string, refs [][]string, width int) (string, float64, error), error) {
	switch metric {
	case "bleu":
		opt := sacrebleu.BLEUOptions{Tokenize: f.tokenize, Smooth: f.smoothMethod, SmoothValue: f.smoothValue, Lowercase: f.lowercase}
		if err := opt.Validate(); err != nil {
			return nil, usageError{"metric: " + err.Error()}
		}
		return func(h []string, r [][]string, w int) (string, float64, error) {
			res, err := sacrebleu.CorpusBLEU(h, r, opt)
			return res.Format(w), res.Score, err
		}, nil
	case "chrf":
		opt := sacrebleu.CHRFOptions{CharOrder: f.chrfCharOrder, WordOrder: f.chrfWordOrder, Beta: f.chrfBeta,
			Lowercase: f.lowercase, Whitespace: f.chrfWhitespace, EpsSmoothing: f.chrfEps}
		if f.chrfCharOrder < 1 || f.chrfBeta < 1 || f.chrfWordOrder < 0 {
			return nil, usageError{"metric: --chrf-char-order and --chrf-beta must be ≥ 1 and --chrf-word-order ≥ 0"}
		}
		return func(h []string, r [][]string, w int) (string, float64, error) {
			res, err := sacrebleu.CorpusCHRF(h, r, opt)
			return res.Format(w), res.Score, err
		}, nil
	default:
		if f.lowercase && f.terCaseSensitive {
			return nil, usageError{"metric ter: --lowercase contradicts --ter-case-sensitive"}
		}
		opt := sacrebleu.TEROptions{CaseSensitive: f.terCaseSensitive, Normalized: f.terNormalize, NoPunct: f.terNoPunct, AsianSupport: f.terAsian}
		return func(h []string, r [][]string, w int) (string, float64, error) {
			res, err := sacrebleu.CorpusTER(h, r, opt)
			return res.Format(w), res.Score, err
		}, nil
	}
}

// metricReadSegments reads one segment per line ("\n"-separated, a final newline
// optional) and strips trailing whitespace from each, as sacreBLEU's
// command line does. Invalid UTF-8 is an error naming the line.
func metricReadSegments(r io.Reader, name string) ([]string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("metric: reading %s: %w", name, err)
	}
	if len(data) == 0 {
		return nil, nil
	}
	text := strings.TrimSuffix(string(data), "\n")
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if !utf8.ValidString(l) {
			return nil, fmt.Errorf("metric: %s:%d: invalid UTF-8 (the metrics need UTF-8 text)", name, i+1)
		}
		lines[i] = strings.TrimRightFunc(l, metricIsPySpace)
	}
	return lines, nil
}

// metricIsPySpace reports whether r is whitespace for Python's str.rstrip.
func metricIsPySpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }
