package apilm

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
)

// docTable returns the rows of the table in docs/api.md whose header
// starts with header, as cells by first cell.
func docTable(t *testing.T, header string) (cols []string, rows map[string][]string) {
	t.Helper()
	data, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	cells := func(line string) []string {
		parts := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return parts
	}
	rows = map[string][]string{}
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, header):
			in, cols = true, cells(line)
		case in && strings.HasPrefix(line, "|---"):
		case in && strings.HasPrefix(line, "|"):
			c := cells(line)
			rows[c[0]] = c
		case in:
			return cols, rows
		}
	}
	if cols == nil {
		t.Fatalf("docs/api.md has no table headed %q", header)
	}
	return cols, rows
}

// TestServerTable checks docs/api.md's tables of servers against what
// the probe reports on the vLLM and llama.cpp stand-ins: every probe
// field of their columns, and their capability cells (yes exactly when
// the report does not refuse the request kind, or has a chat endpoint).
func TestServerTable(t *testing.T) {
	reports := map[string]*Report{}
	for name, url := range map[string]string{"vLLM": newFakeVLLM(t, newWordTok(), 2048).url(), "llama.cpp": newFakeLlama(t).url()} {
		r, err := Probe(context.Background(), Config{Endpoints: []string{url}})
		if err != nil {
			t.Fatal(err)
		}
		reports[name] = r
	}
	cols, fields := docTable(t, "| probe field")
	for i, col := range cols[1:] {
		name, _, _ := strings.Cut(col, " (")
		r, ok := reports[name]
		if !ok {
			continue
		}
		want := map[string]string{
			"`server` (from `owned_by`)": r.Server,
			"`window`, `window_source`":  fmt.Sprintf("%d, `%s`", r.Window, r.WindowSource),
			"`prompt_logprobs`":          fmt.Sprint(r.PromptLogprobs),
			"`max_tokens_zero`":          r.MaxTokensZero,
			"`logprobs_format`":          r.LogprobsFormat,
			"`stop`":                     r.Stop,
			"`chat`":                     fmt.Sprint(r.Chat),
			"`tokenize`":                 fmt.Sprint(r.Tokenize),
		}
		for field, w := range want {
			row, ok := fields[field]
			if !ok || len(row) <= i+1 {
				t.Errorf("docs/api.md: no %s row with a %s cell", field, col)
				continue
			}
			if !strings.HasPrefix(row[i+1], w) {
				t.Errorf("docs/api.md: %s of %s is %q, the probe finds %q", field, col, row[i+1], w)
			}
		}
	}
	_, caps := docTable(t, "| server | loglikelihood")
	for name, r := range reports {
		var row []string
		for first, c := range caps {
			if strings.HasPrefix(first, name) {
				row = c
			}
		}
		if len(row) < 5 {
			t.Errorf("docs/api.md: no capability row for %s", name)
			continue
		}
		for i, req := range []eval.Request{eval.Loglikelihood{}, eval.Rolling{}, eval.Generate{}} {
			if yes := strings.HasPrefix(row[i+1], "yes"); yes != (r.Refusal(req) == nil) {
				t.Errorf("docs/api.md: %s %T cell %q, the probe's refusal: %v", name, req, row[i+1], r.Refusal(req))
			}
		}
		if yes := strings.HasPrefix(row[4], "yes"); yes != r.Chat {
			t.Errorf("docs/api.md: %s chat cell %q, the probe finds chat %v", name, row[4], r.Chat)
		}
	}
}
