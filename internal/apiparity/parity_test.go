package apiparity

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"os"
	"testing"
	"time"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/sharedtest"
	"github.com/kshot-eval/kshot/model"
	"github.com/kshot-eval/kshot/model/apilm"
	"github.com/kshot-eval/kshot/model/serve"
	"github.com/kshot-eval/kshot/tasks"
)

const tol = 1e-5

// startServe runs `kshot serve`'s server for dec on 127.0.0.1 and returns
// its base URL.
func startServe(t *testing.T, dec *model.Decoder, tok model.Tokenizer, info eval.ModelInfo) string {
	t.Helper()
	srv, err := serve.New(dec, tok, serve.Options{Name: info.Name, Fingerprint: info.Fingerprint, Parameters: info.Parameters})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String() + "/v1"
}

type taskRun struct {
	name, data string
	limit      int
}

// TestParity evaluates 40 LAMBADA documents (16 while the decoder lacks
// ArgmaxLogprobs), 6 Winograd schemas and one WikiText page with the
// built-in decoder and through kshot serve + apilm (two endpoints, with
// the model's tokenizer; and LAMBADA again through text prompts only),
// and compares metrics and per-document log-likelihoods; the direct
// LAMBADA and WikiText log-likelihoods are also checked against the
// independent reference in fixtures/tasks/reference.json.
func TestParity(t *testing.T) {
	dir := sharedtest.Path(t, "fixtures/models/gpt2-lambada-tiny")
	runs := []taskRun{
		{"lambada_openai", sharedtest.Path(t, "data/lambada/lambada_test.jsonl"), 40},
		{"winograd", sharedtest.Path(t, "data/wsc/llmfoundry_winograd_wsc273.jsonl"), 6},
		{"wikitext2", sharedtest.Path(t, "data/wikitext2/wiki.test.raw"), 1},
	}
	direct, dec, tok, err := model.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	info := direct.Info()
	a, b := startServe(t, dec, tok, info), startServe(t, dec, tok, info)
	withTok, err := apilm.New(apilm.Config{Endpoints: []string{a, b}, Model: info.Name, Tokenizer: tok, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	textOnly, err := apilm.New(apilm.Config{Endpoints: []string{a}, Model: info.Name})
	if err != nil {
		t.Fatal(err)
	}
	if got := withTok.Info(); got.MaxLength != info.MaxLength || got.Fingerprint != info.Fingerprint || got.Parameters != info.Parameters || got.Name != info.Name {
		t.Errorf("API model info %+v, direct %+v", got, info)
	}
	if _, fast := any(dec).(serve.ArgmaxLogprober); !fast {
		// Without ArgmaxLogprobs the server pays one forward pass per
		// prompt position to name the top-1 token: keep the test short.
		runs[0].limit = 16
		t.Logf("the decoder has no ArgmaxLogprobs: LAMBADA cut to %d documents", runs[0].limit)
	}
	ref := readReference(t)
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			task, err := tasks.New(r.name, tasks.Options{DataPath: r.data})
			if err != nil {
				t.Fatal(err)
			}
			evaluate := func(lm eval.LanguageModel, limit int) eval.TaskResult {
				start := time.Now()
				res, err := eval.Evaluate(context.Background(), lm, []eval.Task{task}, eval.Options{Limit: limit, BatchSize: 16})
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%T: %d documents in %.2fs", lm, res[0].NDocs, time.Since(start).Seconds())
				return res[0]
			}
			want := evaluate(direct, r.limit)
			compare(t, "with tokenizer", want, evaluate(withTok, r.limit))
			checkReference(t, r.name, want, ref)
			if r.name == "lambada_openai" {
				// Text prompts split by text_offset, no tokenizer.
				compare(t, "text prompts", evaluate(direct, 10), evaluate(textOnly, 10))
			}
		})
	}
	if withTok.TokensProcessed() == 0 {
		t.Error("no tokens counted from the servers' usage")
	}
}

// compare checks metrics and per-document responses within tol.
func compare(t *testing.T, label string, want, got eval.TaskResult) {
	t.Helper()
	if len(got.Metrics) != len(want.Metrics) || len(got.Samples) != len(want.Samples) {
		t.Fatalf("%s: %d metrics, %d samples; want %d, %d", label, len(got.Metrics), len(got.Samples), len(want.Metrics), len(want.Samples))
	}
	for i, m := range want.Metrics {
		g := got.Metrics[i]
		if g.Name != m.Name || !close(g.Value, m.Value) {
			t.Errorf("%s: metric %s = %v, direct %v", label, g.Name, g.Value, m.Value)
		}
	}
	worst := 0.0
	for i, s := range want.Samples {
		gs := got.Samples[i]
		if gs.DocID != s.DocID || len(gs.Responses) != len(s.Responses) {
			t.Fatalf("%s: sample %d: doc %d with %d responses, want doc %d with %d", label, i, gs.DocID, len(gs.Responses), s.DocID, len(s.Responses))
		}
		for j, resp := range s.Responses {
			for k, w := range flatten(resp) {
				g := flatten(gs.Responses[j])[k]
				worst = max(worst, math.Abs(g.LogProb-w.LogProb))
				if !close(g.LogProb, w.LogProb) || g.Greedy != w.Greedy || g.Tokens != w.Tokens {
					t.Errorf("%s: doc %d response %d.%d: %+v, direct %+v", label, s.DocID, j, k, g, w)
				}
			}
		}
	}
	t.Logf("%s: %d documents, max |Δ loglik| = %.2e", label, len(want.Samples), worst)
}

func close(a, b float64) bool {
	return math.Abs(a-b) <= tol*max(1, math.Abs(b)) || (math.IsNaN(a) && math.IsNaN(b))
}

// flatten turns a response into log-likelihood results (a rolling result
// as one, with Greedy false).
func flatten(r eval.Response) []eval.LoglikelihoodResult {
	switch r := r.(type) {
	case eval.LoglikelihoodResult:
		return []eval.LoglikelihoodResult{r}
	case eval.ChoiceResult:
		return r.Options
	case eval.RollingResult:
		return []eval.LoglikelihoodResult{{LogProb: r.LogProb, Tokens: r.Tokens}}
	default:
		panic(fmt.Sprintf("apiparity: unexpected response %T", r))
	}
}

type reference struct {
	Lambada struct {
		DocLoglik []float64 `json:"doc_loglik"`
	} `json:"lambada_openai"`
	Wikitext struct {
		PageLoglik []float64 `json:"page_loglik"`
	} `json:"wikitext2"`
}

func readReference(t *testing.T) reference {
	data, err := os.ReadFile(sharedtest.Path(t, "fixtures/tasks/reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// checkReference compares the direct run with the independent float64
// reference (float32 decoder: 1e-4 relative).
func checkReference(t *testing.T, task string, res eval.TaskResult, ref reference) {
	var want []float64
	switch task {
	case "lambada_openai":
		want = ref.Lambada.DocLoglik
	case "wikitext2":
		want = ref.Wikitext.PageLoglik
	default:
		return
	}
	for _, s := range res.Samples {
		got := flatten(s.Responses[0])[0].LogProb
		if w := want[s.DocID]; math.Abs(got-w) > 1e-4*max(1, math.Abs(w)) {
			t.Errorf("%s doc %d: direct log-likelihood %v, reference %v", task, s.DocID, got, w)
		}
	}
}
