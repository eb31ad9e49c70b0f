package reports

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

func TestParseReferenceGPT2Table3(t *testing.T) {
	path := sharedtest.Path(t, "papers/gpt2_table3.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ref, err := ParseReference(f, path)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Name != "gpt2_table3" || strings.Join(ref.Models, " ") != "gpt2-117M gpt2-345M gpt2-762M gpt2-1542M" {
		t.Errorf("name %q models %v", ref.Name, ref.Models)
	}
	if len(ref.Warnings) != 1 || !strings.Contains(ref.Warnings[0], "prior_sota has no parameter count") {
		t.Errorf("warnings = %q", ref.Warnings)
	}
	cases := []struct {
		key, metric string
		want        []Point
	}{
		// Table 3, percentages turned into fractions.
		{"lambada_openai", "acc", []Point{{117e6, 0.4599, 0}, {345e6, 0.5548, 0}, {762e6, 0.6012, 0}, {1542e6, 0.6324, 0}}},
		{"lambada_openai", "perplexity", []Point{{117e6, 35.13, 0}, {345e6, 15.60, 0}, {762e6, 10.87, 0}, {1542e6, 8.63, 0}}},
		{"enwik8", "bits_per_byte", []Point{{117e6, 1.16, 0}, {345e6, 1.01, 0}, {762e6, 0.97, 0}, {1542e6, 0.93, 0}}},
		{"lm1b", "word_perplexity", []Point{{117e6, 75.20, 0}, {345e6, 55.72, 0}, {762e6, 44.575, 0}, {1542e6, 42.16, 0}}},
		{"winograd", "acc", nil},
	}
	for _, c := range cases {
		t.Run(c.key+"/"+c.metric, func(t *testing.T) {
			got := ref.Points(c.key, c.metric, nil)
			if len(got) != len(c.want) {
				t.Fatalf("got %v", got)
			}
			for i, w := range c.want {
				if got[i].X != w.X || !near(got[i].Y, w.Y, 1e-12) || !math.IsNaN(got[i].Err) {
					t.Errorf("point %d = %+v, want %+v", i, got[i], w)
				}
			}
		})
	}
	// A user mapping overrides the built-in one.
	m, err := ParseReferenceColumn("1bw_ppl=lambada_openai/perplexity*2")
	if err != nil {
		t.Fatal(err)
	}
	if got := ref.Points("lambada_openai", "perplexity", []ReferenceColumn{m}); len(got) != 4 || got[0].Y != 150.4 {
		t.Errorf("mapped points = %v, want 2·75.20 first", got)
	}
}

func TestParseReferenceErrors(t *testing.T) {
	cases := []struct {
		name, data string
		line       int
		field, msg string
	}{
		{"no params", "# c\nmodel,acc\na,1\n", 2, "params", "no params column"},
		{"bad params", "model,params,acc\na,lots,1\n", 2, "params", "not a parameter count"},
		{"bad value", "# one\n# two\nmodel,params,acc\na,1e6,1\nb,2e6,high\n", 5, "acc", "not a number"},
		{"ragged row", "model,params,acc\na,1e6\n", 2, "", "wrong number of fields"},
		{"empty", "# only a comment\n", 0, "", "no header"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseReference(strings.NewReader(c.data), "ref.csv")
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Line != c.line || fe.Field != c.field || !strings.Contains(fe.Msg, c.msg) {
				t.Errorf("err = %v, want line %d field %q msg ~%q", err, c.line, c.field, c.msg)
			}
		})
	}
}

func TestParseReferenceColumn(t *testing.T) {
	cases := []struct {
		in   string
		want ReferenceColumn
		ok   bool
	}{
		{"lambada_acc=lambada_openai/acc*0.01", ReferenceColumn{"lambada_acc", "lambada_openai", "acc", 0.01}, true},
		{"ppl = wikitext2/word_perplexity", ReferenceColumn{"ppl", "wikitext2", "word_perplexity", 1}, true},
		{"ppl=wikitext2", ReferenceColumn{}, false},
		{"=a/b", ReferenceColumn{}, false},
		{"x=a/b*zero", ReferenceColumn{}, false},
		{"x=a/b*0", ReferenceColumn{}, false},
	}
	for _, c := range cases {
		got, err := ParseReferenceColumn(c.in)
		if (err == nil) != c.ok || c.ok && got != c.want {
			t.Errorf("ParseReferenceColumn(%q) = %+v, %v", c.in, got, err)
		}
	}
}

func FuzzParseReference(f *testing.F) {
	f.Add("model,params,acc\na,1e6,0.5\nb,,0.6\n")
	f.Add("# c\nparams,x\n1,2\n")
	f.Fuzz(func(t *testing.T, data string) {
		ref, err := ParseReference(strings.NewReader(data), "fuzz.csv")
		if err != nil {
			return
		}
		for i, row := range ref.Values {
			if len(row) != len(ref.Columns) || !(ref.Params[i] > 0) {
				t.Fatalf("row %d: %d values for %d columns, params %d", i, len(row), len(ref.Columns), ref.Params[i])
			}
		}
	})
}
