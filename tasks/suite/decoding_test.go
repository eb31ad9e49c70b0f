package suite

import (
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
)

// TestSuiteDecoding: a task's decoding key, as a mapping or as the
// results file writes a rule, becomes the built task's Spec().Decoding;
// every bad rule is a problem naming tasks[i].decoding with the fix; a
// decoding on a task that does not generate is refused; and a misspelt
// key of a task entry is an error (it used to be ignored).
func TestSuiteDecoding(t *testing.T) {
	beam := eval.Decoding{Method: eval.DecodeBeam, BeamWidth: 4, LengthPenalty: 0.6}
	for _, c := range []struct {
		name, entry string
		want        *eval.Decoding
	}{
		{"mapping", "{name: synth_translate, decoding: {method: beam, width: 4, length_penalty: 0.6}}", &beam},
		{"results form", `{name: synth_translate, decoding: "beam(width=4,length_penalty=0.6)"}`, &beam},
		{"sample defaults", "{name: synth_translate, decoding: {method: sample, top_k: 2}}",
			&eval.Decoding{Method: eval.DecodeSample, Temperature: 1, TopK: 2, TopP: 1}},
		{"none", "synth_translate", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := Parse([]byte("models: [m]\ntasks:\n  - "+c.entry+"\n"), "s.yaml")
			if err != nil {
				t.Fatal(err)
			}
			p := FromSuite(s, "s.yaml")
			if err := p.Check(); err != nil {
				t.Fatal(err)
			}
			got := p.Built()[0].Task.Spec().Decoding
			if (got == nil) != (c.want == nil) || (got != nil && *got != *c.want) {
				t.Errorf("Spec().Decoding = %v, want %v", got, c.want)
			}
		})
	}

	src := `models: [m]
tasks:
  - {name: synth_translate, decoding: {method: sample, top_k: 0}}
  - {name: synth_translate, variant: x, decoding: {method: beam, width: 0}}
  - {name: synth_translate, decoding: {method: sample, top_p: 1.5}}
  - {name: synth_translate, decoding: {method: sample, temperature: -1}}
  - {name: synth_translate, decoding: {method: sample, seed: 0}}
  - {name: synth_translate, decoding: {method: beam, widht: 4}}
  - {name: synth_translate, decoding: "beam"}
`
	_, err := Parse([]byte(src), "s.yaml")
	wantProblems(t, problemLines(t, err), [][2]string{
		{"s.yaml: tasks[0].decoding", "top-k 0 is out of range: use 1 or more (leave top_k out for no cut)"},
		{"s.yaml: tasks[1].decoding", "beam width 0 is out of range"},
		{"s.yaml: tasks[2].decoding", "top-p 1.5 is out of range"},
		{"s.yaml: tasks[3].decoding", "temperature -1 is out of range"},
		{"s.yaml: tasks[4].decoding", "seed 0 is not a seed"},
		{"s.yaml: tasks[5].decoding", `unknown key "widht" (did you mean "width"?)`},
		{"s.yaml: tasks[6].decoding", "beam search needs a width"},
	})

	s, err := Parse([]byte("models: [m]\ntasks:\n  - {name: synth_cbt, decoding: {method: greedy}}\n  - {name: synth_translate, decoding: {method: greedy}}\n"), "s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	wantProblems(t, problemLines(t, FromSuite(s, "s.yaml").Check()), [][2]string{
		{"s.yaml: tasks[0].decoding", "task synth_cbt sends no generation requests (its requests are multiple_choice): drop the decoding"},
	})

	_, err = Parse([]byte("models: [m]\ntasks:\n  - {name: synth_translate, decodng: {method: greedy}}\n"), "s.yaml")
	if err == nil || !strings.Contains(err.Error(), `tasks[0]: unknown key "decodng" (did you mean "decoding"?)`) || strings.Contains(err.Error(), "\n") {
		t.Errorf("misspelt task key: error %v, want one line naming it", err)
	}
}
