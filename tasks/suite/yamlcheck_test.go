package suite

import (
	"strings"
	"testing"
)

// TestParseMessagesInUserWords: a suite file's mistakes name the file,
// line:column, the key, what was expected and the fix, never Go types.
func TestParseMessagesInUserWords(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"misspelt key", "models: [m]\ntasks: [lambada_openai]\nlimt: 3\n",
			[]string{`s.yaml:3:1: unknown key "limt" (did you mean "limit"?)`}},
		{"misspelt task key", "models: [m]\ntasks:\n  - {name: wikitext2, shot: [1]}\n",
			[]string{`s.yaml:3:23: tasks[0]: unknown key "shot" (did you mean "shots"?)`}},
		{"unrelated key", "models: [m]\ntasks: [x]\nzzzzzz: 1\n",
			[]string{`s.yaml:3:1: unknown key "zzzzzz" (the keys are batch_size, bootstrap_iters, data_dir,`}},
		{"string for a list", "models: /tmp/new-model\ntasks: [x]\n",
			[]string{`s.yaml:1:9: models: want a list, got the text "/tmp/new-model"; write models: [/tmp/new-model], or one "- item" a line`}},
		{"number for a list", "models: [m]\ntasks: [x]\nshots: 5\n",
			[]string{`s.yaml:3:8: shots: want a list, got the number 5; write shots: [5]`}},
		{"text for a number", "models: [m]\ntasks:\n  - {name: x, limit: many}\n",
			[]string{`s.yaml:3:22: tasks[0].limit: want a whole number, got the text "many"`}},
		{"negative seed", "models: [m]\ntasks: [x]\nseeds: [1, -2]\n",
			[]string{`s.yaml:3:12: seeds[1]: want a whole number of 0 or more, got the number -2`}},
		{"text for a float", "models: [m]\ntasks: [x]\nreferences:\n  - {model: a, params: big, task: x, metric: acc, value: 0.5}\n",
			[]string{`s.yaml:4:24: references[0].params: want a number, got the text "big"`}},
		{"every mistake at once", "models: m\ntasks: [x]\nlimt: 3\n",
			[]string{"2 problems in the run plan", "s.yaml:1:9: models: want a list", `s.yaml:3:1: unknown key "limt"`}},
		{"syntax", "models: [a\ntasks: x\n",
			[]string{"s.yaml:1: did not find expected ',' or ']' (not valid YAML"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.src), "s.yaml")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\nwant it to contain\n%s", err, w)
				}
			}
			for _, leak := range []string{"main.", "suite.Suite", "[]string", "!!str", "unmarshal", "type "} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error %q leaks Go or YAML internals (%q)", err, leak)
				}
			}
		})
	}
}
