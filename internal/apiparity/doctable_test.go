package apiparity

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/sharedtest"
	"github.com/kshot-eval/kshot/model"
	"github.com/kshot-eval/kshot/model/apilm"
)

// TestServeTableColumn probes kshot serve with the gpt2-tiny fixture, as
// docs/api.md says its column was filled, and checks that column and the
// kshot serve capability row against the report.
func TestServeTableColumn(t *testing.T) {
	dir := sharedtest.Path(t, "fixtures/models/gpt2-tiny")
	direct, dec, tok, err := model.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := apilm.Probe(context.Background(), apilm.Config{Endpoints: []string{startServe(t, dec, tok, direct.Info())}})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		c := strings.Split(strings.Trim(line, "| "), "|")
		for i := range c {
			c[i] = strings.TrimSpace(c[i])
		}
		rows[c[0]] = c
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
	if h := rows["probe field (`--json`)"]; len(h) < 2 || h[1] != "kshot serve (real)" {
		t.Fatalf("docs/api.md: the probe table's first column is %q, want kshot serve (real)", h)
	}
	for field, w := range want {
		if row := rows[field]; len(row) < 2 || !strings.HasPrefix(row[1], w) {
			t.Errorf("docs/api.md: %s of kshot serve is %q, the probe finds %q", field, row, w)
		}
	}
	row := rows["kshot serve"]
	if len(row) < 5 {
		t.Fatalf("docs/api.md: no kshot serve capability row")
	}
	for i, req := range []eval.Request{eval.Loglikelihood{}, eval.Rolling{}, eval.Generate{}} {
		if yes := strings.HasPrefix(row[i+1], "yes"); yes != (r.Refusal(req) == nil) {
			t.Errorf("docs/api.md: kshot serve %T cell %q, the probe's refusal: %v", req, row[i+1], r.Refusal(req))
		}
	}
	if yes := strings.HasPrefix(row[4], "yes"); yes != r.Chat {
		t.Errorf("docs/api.md: kshot serve chat cell %q, the probe finds chat %v", row[4], r.Chat)
	}
}
