package tasks

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// withoutParts returns r without the parts of a generation request,
// after checking that they join to its context, so that a request can be
// compared with one written out by hand.
func withoutParts(t *testing.T, r eval.Request) eval.Request {
	t.Helper()
	g, ok := r.(eval.Generate)
	if !ok || g.Parts == nil {
		return r
	}
	if s := g.Parts.String(); s != g.Context {
		t.Errorf("the request's parts join to %q, its context is %q", s, g.Context)
	}
	g.Parts = nil
	return g
}

// TestGenerateParts checks that every generation request a few-shot
// prompt builds keeps its parts (eval.Generate.Parts, which chat
// endpoints send as turns with --fewshot-as-multiturn), and that they
// join to exactly the request's context: a 2-shot build of every
// registered generation task that takes examples.
func TestGenerateParts(t *testing.T) {
	dataDir := sharedtest.Path(t, "data")
	checked := 0
	for _, name := range Names() {
		d, err := Declared(name)
		if err != nil {
			t.Fatal(err)
		}
		if d.Kind != eval.KindGenerate || d.ZeroShotOnly {
			continue
		}
		t.Run(name, func(t *testing.T) {
			o := Options{DataDir: dataDir}
			if rel, ok := declData[name]; ok {
				o.DataPath = filepath.Join(dataDir, rel)
				if strings.HasPrefix(rel, "testdata/") {
					o.DataPath = rel
				}
			}
			task, err := New(name, o)
			if err != nil {
				if strings.Contains(err.Error(), "not found in data directory") {
					t.Skipf("no shared data: %v", err)
				}
				t.Fatal(err)
			}
			insts, err := task.Instances(2, 1234)
			if err != nil {
				t.Fatal(err)
			}
			checked++
			for _, in := range insts[:min(len(insts), 20)] {
				for _, r := range in.Requests {
					g, ok := r.(eval.Generate)
					if !ok {
						continue
					}
					switch {
					case g.Parts == nil:
						t.Fatalf("document %d: a 2-shot generation request without its parts", in.DocID)
					case g.Parts.String() != g.Context:
						t.Fatalf("document %d: parts join to %q, context is %q", in.DocID, g.Parts.String(), g.Context)
					case len(g.Parts.Examples) != 2:
						t.Fatalf("document %d: %d examples in the parts of a 2-shot prompt", in.DocID, len(g.Parts.Examples))
					}
				}
			}
		})
	}
	if checked == 0 {
		t.Error("no generation task was checked")
	}
}
