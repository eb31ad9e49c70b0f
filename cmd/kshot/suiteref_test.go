package main

import (
	"testing"

	"github.com/kshot-eval/kshot/tasks/suite"
)

// TestSuiteReferencesBySource checks that a suite's published numbers
// are grouped by their source, so that a report labels each point with
// the paper table it comes from, and that a few-shot number lands on the
// results key of its shots, not on the zero-shot row.
func TestSuiteReferencesBySource(t *testing.T) {
	refs := []suite.Reference{
		{Model: "gpt3-small", Params: 125e6, Task: "lambada_openai", Metric: "acc", Shots: 0, Value: 0.427, Source: "GPT-3 Table H.1 zero-shot"},
		{Model: "gpt3-small", Params: 125e6, Task: "lambada_openai", Metric: "acc", Shots: 15, Value: 0.22, Source: "GPT-3 Table H.1 few-shot"},
		{Model: "gpt2", Params: 117e6, Task: "lambada_openai", Metric: "perplexity", Value: 35.13},
	}
	got, cols := suiteReferences("s", refs)
	if len(got) != 3 || got[0].Name != "GPT-3 Table H.1 zero-shot" || got[1].Name != "GPT-3 Table H.1 few-shot" || got[2].Name != "suite s (no source given)" {
		for _, r := range got {
			t.Logf("reference %q", r.Name)
		}
		t.Fatalf("%d references", len(got))
	}
	if pts := got[1].Points("lambada_openai_15shot", "acc", cols); len(pts) != 1 || pts[0].Y != 0.22 || pts[0].X != 125e6 {
		t.Errorf("15-shot points %v", pts)
	}
	if pts := got[1].Points("lambada_openai", "acc", cols); len(pts) != 0 {
		t.Errorf("the 15-shot number is drawn on the zero-shot row: %v", pts)
	}
	if pts := got[0].Points("lambada_openai", "acc", cols); len(pts) != 1 || pts[0].Y != 0.427 {
		t.Errorf("zero-shot points %v", pts)
	}
}
