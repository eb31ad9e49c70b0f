package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/sharedtest"
	"github.com/kshot-eval/kshot/model"
)

// openFixture loads a fixture checkpoint.
func openFixture(t *testing.T, name string) (*model.Decoder, model.Tokenizer, string) {
	t.Helper()
	dir := sharedtest.Path(t, filepath.Join("fixtures/models", name))
	_, dec, tok, err := model.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dec, tok, dir
}

// start serves m over HTTP on 127.0.0.1 for the test.
func start(t *testing.T, m Model, tok model.Tokenizer, opt Options) (*Server, string) {
	t.Helper()
	s, err := New(m, tok, opt)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		s.Close()
	})
	return s, hs.URL
}

// post sends body (JSON-encoded unless a string) and returns the status
// and the raw answer. A map body without "model" gets the model the
// server lists (OpenAI requires it); a "model" of nil is left out.
func post(t *testing.T, url string, body any) (int, []byte) {
	t.Helper()
	var data []byte
	if s, ok := body.(string); ok {
		data = []byte(s)
	} else {
		if m, ok := body.(map[string]any); ok {
			mm := make(map[string]any, len(m)+1)
			for k, v := range m {
				mm[k] = v
			}
			if v, ok := m["model"]; !ok {
				mm["model"] = servedModel(t, url)
			} else if v == nil {
				delete(mm, "model")
			}
			body = mm
		}
		var err error
		if data, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.Post(url+"/v1/completions", "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// servedModel is the one model id url's GET /v1/models lists.
func servedModel(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct{ Data []struct{ ID string } }
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || len(list.Data) != 1 {
		t.Fatalf("GET /v1/models: %v, %d models", err, len(list.Data))
	}
	return list.Data[0].ID
}

func complete(t *testing.T, url string, body any) completionResponse {
	t.Helper()
	code, data := post(t, url, body)
	if code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", code, data)
	}
	var r completionResponse
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
	return r
}

type refSeq struct {
	InputIDs         []int     `json:"input_ids"`
	Argmax           []int     `json:"argmax"`
	NextTokenLogprob []float64 `json:"next_token_logprob"`
}

func readReference(t *testing.T, dir string) []refSeq {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct{ Sequences []refSeq }
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	return ref.Sequences
}

// TestEchoMatchesReference checks echoed log-probabilities and top-1
// tokens against the fixture's float64 reference (an independent
// implementation of GPT-2).
func TestEchoMatchesReference(t *testing.T) {
	dec, tok, dir := openFixture(t, "gpt2-tiny")
	_, url := start(t, dec, tok, Options{Name: "gpt2-tiny"})
	for i, seq := range readReference(t, dir) {
		t.Run(fmt.Sprint("sequence", i), func(t *testing.T) {
			r := complete(t, url, map[string]any{"model": "gpt2-tiny", "prompt": seq.InputIDs, "echo": true, "max_tokens": 0, "logprobs": 1})
			c := r.Choices[0]
			if c.Text != tok.Decode(seq.InputIDs) {
				t.Errorf("echoed text %q, want the prompt", c.Text)
			}
			lp := c.Logprobs
			n := len(seq.InputIDs)
			if len(lp.Tokens) != n || len(lp.TokenLogprobs) != n || len(lp.TopLogprobs) != n || len(lp.TextOffset) != n {
				t.Fatalf("%d tokens, %d logprobs, %d top, %d offsets; want %d each", len(lp.Tokens), len(lp.TokenLogprobs), len(lp.TopLogprobs), len(lp.TextOffset), n)
			}
			if lp.TokenLogprobs[0] != nil || lp.TopLogprobs[0] != nil {
				t.Errorf("first token has log-probability %v, top %v; want null", lp.TokenLogprobs[0], lp.TopLogprobs[0])
			}
			worst := 0.0
			for p := 1; p < n; p++ {
				got, want := *lp.TokenLogprobs[p], seq.NextTokenLogprob[p-1]
				worst = max(worst, math.Abs(got-want))
				if math.Abs(got-want) > 1e-4*max(1, math.Abs(want)) {
					t.Errorf("position %d: log-probability %v, reference %v", p, got, want)
				}
				top := lp.TopLogprobs[p]
				wantTop := seq.Argmax[p-1]
				if len(top) != 1 {
					t.Fatalf("position %d: top_logprobs %v, want one entry", p, top)
				}
				v, ok := top[tokenStringOf(tok, wantTop)]
				if !ok {
					t.Errorf("position %d: top token %v, reference argmax %d %q", p, top, wantTop, tok.Decode([]int{wantTop}))
					continue
				}
				// The most likely token is at least as likely as the
				// prompt's, and at least as likely as the average token.
				if wantTop == seq.InputIDs[p] && v != got {
					t.Errorf("position %d: greedy token's top value %v != its log-probability %v", p, v, got)
				}
				if v < got || v > 0 || v < -math.Log(float64(tok.VocabSize())) {
					t.Errorf("position %d: top-1 log-probability %v outside [max(%v, -log V), 0]", p, v, got)
				}
			}
			t.Logf("%d tokens: max |Δ log p| = %.2e", n, worst)
		})
	}
}

func tokenStringOf(tok model.Tokenizer, id int) string {
	s := &Server{tok: tok}
	return s.tokenString(id)
}

// TestArgmaxLogprober checks that a model reporting the most likely
// tokens' log-probabilities itself gets the same answers as the fallback.
func TestArgmaxLogprober(t *testing.T) {
	dec, tok, dir := openFixture(t, "gpt2-tiny")
	_, plain := start(t, dec, tok, Options{})
	calls := 0
	_, fast := start(t, withArgmax{dec, &calls}, tok, Options{})
	seq := readReference(t, dir)[2]
	body := map[string]any{"prompt": seq.InputIDs, "echo": true, "max_tokens": 0, "logprobs": 1}
	a, b := complete(t, plain, body), complete(t, fast, body)
	a.ID, b.ID = "", ""
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Errorf("answers differ:\n%s\n%s", ja, jb)
	}
	if calls != 1 {
		t.Errorf("ArgmaxLogprobs called %d times, want 1", calls)
	}
}

// withArgmax adds ArgmaxLogprobs to a decoder, computed the slow way.
type withArgmax struct {
	*model.Decoder
	calls *int
}

func (w withArgmax) ArgmaxLogprobs(ctx context.Context, ids []int) ([]int, []float64, error) {
	*w.calls++
	_, am, err := w.TokenLogprobs(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	lps := make([]float64, len(am))
	for t := range am {
		seq := append(append([]int{}, ids[:t+1]...), am[t])
		sc, err := w.Score(ctx, []eval.TokenSeq{{Tokens: seq, From: t + 1}})
		if err != nil {
			return nil, nil, err
		}
		lps[t] = sc[0].LogProbs[0]
	}
	return am, lps, nil
}

// TestTextOffsets checks token strings and character offsets on
// tiktoken's test vector "hello 👋 world 🌍" → [31373, 50169, 233, 995,
// 12520, 234, 235], offsets worked out by hand: the emoji are split
// inside their UTF-8 bytes.
func TestTextOffsets(t *testing.T) {
	dec, tok, _ := openFixture(t, "gpt2-tiny")
	_, url := start(t, dec, tok, Options{})
	const text = "hello 👋 world 🌍"
	r := complete(t, url, map[string]any{"prompt": text, "echo": true, "max_tokens": 0, "logprobs": 0})
	lp := r.Choices[0].Logprobs
	wantTokens := []string{"hello", `bytes: \xf0\x9f\x91`, `bytes:\x8b`, " world", `bytes: \xf0\x9f`, `bytes:\x8c`, `bytes:\x8d`}
	wantOffsets := []int{0, 5, 6, 7, 13, 14, 14}
	if r.Choices[0].Text != text {
		t.Errorf("text %q, want %q", r.Choices[0].Text, text)
	}
	if fmt.Sprint(lp.Tokens) != fmt.Sprint(wantTokens) {
		t.Errorf("tokens %q, want %q", lp.Tokens, wantTokens)
	}
	if fmt.Sprint(lp.TextOffset) != fmt.Sprint(wantOffsets) {
		t.Errorf("offsets %v, want %v", lp.TextOffset, wantOffsets)
	}
	// logprobs 0: the top entry is the prompt token itself.
	for p := 1; p < len(lp.Tokens); p++ {
		if v, ok := lp.TopLogprobs[p][lp.Tokens[p]]; !ok || len(lp.TopLogprobs[p]) != 1 || v != *lp.TokenLogprobs[p] {
			t.Errorf("position %d: top %v, want {%q: %v}", p, lp.TopLogprobs[p], lp.Tokens[p], *lp.TokenLogprobs[p])
		}
	}
	if r.Usage.PromptTokens != 7 || r.Usage.CompletionTokens != 0 || r.Usage.TotalTokens != 7 {
		t.Errorf("usage %+v", r.Usage)
	}
}

// TestGenerate checks greedy generation against the reference argmax and
// the stop-string and echo rules.
func TestGenerate(t *testing.T) {
	dec, tok, dir := openFixture(t, "gpt2-tiny")
	_, url := start(t, dec, tok, Options{})
	seq := readReference(t, dir)[2]
	next := seq.Argmax[len(seq.Argmax)-1]
	r := complete(t, url, map[string]any{"prompt": seq.InputIDs, "max_tokens": 1, "logprobs": 0})
	if c := r.Choices[0]; c.Text != tok.Decode([]int{next}) || c.FinishReason != "length" {
		t.Errorf("one token: %q (%s), want the reference argmax %q (length)", c.Text, c.FinishReason, tok.Decode([]int{next}))
	}
	if lp := r.Choices[0].Logprobs; len(lp.Tokens) != 1 || len(lp.TopLogprobs[0]) != 1 || *lp.TokenLogprobs[0] > 0 {
		t.Errorf("generated token logprobs %+v", lp)
	}
	long := complete(t, url, map[string]any{"prompt": seq.InputIDs, "max_tokens": 6})
	full := long.Choices[0].Text
	if !strings.HasPrefix(full, tok.Decode([]int{next})) {
		t.Errorf("6 tokens %q do not start with the reference argmax %q", full, tok.Decode([]int{next}))
	}
	// A stop string: the text is cut before its first occurrence.
	ids := tok.Encode(full)
	stop := tok.Decode(ids[len(ids)/2 : len(ids)/2+1])
	cut := complete(t, url, map[string]any{"prompt": seq.InputIDs, "max_tokens": 6, "stop": []string{"", stop}})
	if want := full[:strings.Index(full, stop)]; cut.Choices[0].Text != want || cut.Choices[0].FinishReason != "stop" {
		t.Errorf("stop %q: %q (%s), want %q (stop)", stop, cut.Choices[0].Text, cut.Choices[0].FinishReason, want)
	}
	// Echo with generation: prompt text, then the generation.
	echo := complete(t, url, map[string]any{"prompt": seq.InputIDs, "max_tokens": 6, "echo": true, "logprobs": 1})
	if want := tok.Decode(seq.InputIDs) + full; echo.Choices[0].Text != want {
		t.Errorf("echo + generation %q, want %q", echo.Choices[0].Text, want)
	}
	if lp := echo.Choices[0].Logprobs; len(lp.Tokens) != len(seq.InputIDs)+6 {
		t.Errorf("echo + generation: %d tokens, want %d", len(lp.Tokens), len(seq.InputIDs)+6)
	}
	// A list of prompts gives one choice each, in order.
	list := complete(t, url, map[string]any{"prompt": [][]int{seq.InputIDs, seq.InputIDs[:5]}, "max_tokens": 6})
	if len(list.Choices) != 2 || list.Choices[0].Text != full || list.Choices[1].Index != 1 {
		t.Errorf("two prompts: %+v", list.Choices)
	}
}

// TestBatchedEqualsAlone checks that requests answered together in one
// decoder batch get exactly the answers they get alone.
func TestBatchedEqualsAlone(t *testing.T) {
	dec, tok, _ := openFixture(t, "gpt2-tiny")
	srv, url := start(t, dec, tok, Options{BatchWindow: 50e6, MaxBatch: 8})
	prompts := []string{"The cat sat on the mat.", "Paris is the capital of", "Once upon a time", "1 2 3 4 5 6",
		"hello world", "A much longer prompt with several words in it to score"}
	body := func(i int) map[string]any {
		b := map[string]any{"prompt": prompts[i], "echo": true, "max_tokens": 0, "logprobs": 1}
		if i%2 == 1 {
			b = map[string]any{"prompt": prompts[i], "max_tokens": 5, "logprobs": 0, "stop": "\n"}
		}
		return b
	}
	alone := make([]completionResponse, len(prompts))
	for i := range prompts {
		alone[i] = complete(t, url, body(i))
	}
	before := srv.Stats().Batches
	together := make([]completionResponse, len(prompts))
	var wg sync.WaitGroup
	for i := range prompts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			together[i] = complete(t, url, body(i))
		}()
	}
	wg.Wait()
	for i := range prompts {
		a, b := alone[i], together[i]
		a.ID, b.ID = "", ""
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if !bytes.Equal(ja, jb) {
			t.Errorf("prompt %d: batched answer differs:\n%s\n%s", i, ja, jb)
		}
	}
	t.Logf("%d concurrent requests ran in %d batches", len(prompts), srv.Stats().Batches-before)
}

func TestModelsAndHealth(t *testing.T) {
	dec, tok, _ := openFixture(t, "gpt2-tiny")
	srv, url := start(t, dec, tok, Options{Name: "tiny", Fingerprint: "abc", Parameters: 42})
	get := func(path string) (int, map[string]any) {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, v
	}
	code, v := get("/v1/models")
	card := v["data"].([]any)[0].(map[string]any)
	if code != 200 || card["id"] != "tiny" || card["max_model_len"] != 64.0 || card["owned_by"] != "kshot" ||
		card["kshot_fingerprint"] != "abc" || card["kshot_parameters"] != 42.0 {
		t.Errorf("models: %d %v", code, v)
	}
	if code, v := get("/health"); code != 200 || v["status"] != "ok" {
		t.Errorf("health: %d %v", code, v)
	}
	if code, _ := get("/v1/chat/completions"); code != 404 {
		t.Errorf("unknown path: %d, want 404", code)
	}
	// OpenAI's models.retrieve: GET /v1/models/{id} answers the card, and
	// an unknown id is 404 with code "model_not_found".
	if code, v := get("/v1/models/tiny"); code != 200 || v["id"] != "tiny" || v["object"] != "model" {
		t.Errorf("models/tiny: %d %v", code, v)
	}
	if code, v := get("/v1/models/gpt-4"); code != 404 || v["error"].(map[string]any)["code"] != "model_not_found" {
		t.Errorf("models/gpt-4: %d %v, want 404 model_not_found", code, v)
	}
	srv.Close()
	if code, _ := get("/health"); code != 503 {
		t.Errorf("health after Close: %d, want 503", code)
	}
	if code, data := post(t, url, map[string]any{"model": "tiny", "prompt": "x", "max_tokens": 1}); code != 503 {
		t.Errorf("completion after Close: %d %s, want 503", code, data)
	}
}

// TestBadRequests checks that each unsupported or malformed request is
// refused with its status and a message naming the problem.
func TestBadRequests(t *testing.T) {
	dec, tok, _ := openFixture(t, "gpt2-tiny")
	_, url := start(t, dec, tok, Options{Name: "tiny", MaxBodyBytes: 2000})
	ids := func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = 100 + i
		}
		return out
	}
	cases := []struct {
		name string
		body any
		code int
		want string
	}{
		{"malformed JSON", `{"prompt": "x",`, 400, "not valid JSON"},
		{"no model", map[string]any{"model": nil, "prompt": "x"}, 400, "must provide a model"},
		{"five stops", map[string]any{"prompt": "x", "stop": []string{"a", "b", "c", "d", "e"}}, 400, "at most 4"},
		{"logprobs bool", map[string]any{"prompt": "x", "logprobs": true}, 400, "logprobs must be an integer"},
		{"fractional max_tokens", map[string]any{"prompt": "x", "max_tokens": 1.5}, 400, "max_tokens must be an integer"},
		{"trailing data", `{"model": "tiny", "prompt": "x"} {}`, 400, "after the JSON object"},
		{"unknown field", map[string]any{"prompt": "x", "temprature": 0}, 400, "temprature"},
		{"sampling", map[string]any{"prompt": "x", "temperature": 0.7}, 400, "greedily"},
		{"top_p", map[string]any{"prompt": "x", "top_p": 0.9}, 400, "top_p"},
		{"n", map[string]any{"prompt": "x", "n": 2}, 400, "n 2"},
		{"stream_options without stream", map[string]any{"prompt": "x", "stream_options": map[string]any{"include_usage": true}}, 400, "only allowed when stream is true"},
		{"logit_bias", map[string]any{"prompt": "x", "logit_bias": map[string]float64{"5": -100}}, 400, "logit_bias"},
		{"logprobs 5", map[string]any{"prompt": "x", "logprobs": 5}, 400, "logprobs 5"},
		{"negative max_tokens", map[string]any{"prompt": "x", "max_tokens": -1}, 400, "negative"},
		{"wrong model", map[string]any{"model": "gpt-4", "prompt": "x"}, 404, "does not exist"},
		{"no prompt", map[string]any{"max_tokens": 1}, 400, "prompt is required"},
		{"empty prompt", map[string]any{"prompt": ""}, 400, "prompt 0 is empty"},
		{"empty list", map[string]any{"prompt": []int{}}, 400, "empty list"},
		{"mixed list", `{"model": "tiny", "prompt": [1, "a"]}`, 400, "only strings"},
		{"bad token", map[string]any{"prompt": []int{5, 50257}}, 400, "50257"},
		{"number prompt", `{"model": "tiny", "prompt": 5}`, 400, "must be a string"},
		{"stop number", map[string]any{"prompt": "x", "stop": 5}, 400, "stop must be"},
		{"too long to score", map[string]any{"prompt": ids(66), "max_tokens": 0, "echo": true}, 400, "66 tokens"},
		{"too long to generate", map[string]any{"prompt": ids(60), "max_tokens": 5}, 400, "context window of 64"},
		{"body too large", map[string]any{"prompt": strings.Repeat("x", 3000)}, 413, "larger than 2000 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, data := post(t, url, c.body)
			if code != c.code || !strings.Contains(string(data), c.want) {
				t.Errorf("HTTP %d %s; want %d mentioning %q", code, data, c.code, c.want)
			}
			var e struct {
				Error struct {
					Message, Type string
					Code          any
				}
			}
			if json.Unmarshal(data, &e) != nil || e.Error.Message == "" || e.Error.Type == "" {
				t.Errorf("error body %s is not OpenAI's {error: {message, type}}", data)
			}
			if _, ok := e.Error.Code.(string); !ok && e.Error.Code != nil {
				t.Errorf("error code %v (%T): OpenAI's is a string or null", e.Error.Code, e.Error.Code)
			}
			if strings.Contains(e.Error.Message, "Go struct") || strings.Contains(e.Error.Message, "completionRequest") {
				t.Errorf("error message %q names a Go type", e.Error.Message)
			}
		})
	}
	// The limits themselves are accepted.
	if code, data := post(t, url, map[string]any{"prompt": ids(65), "max_tokens": 0, "echo": true, "logprobs": 0}); code != 200 {
		t.Errorf("65 tokens with max_tokens 0: %d %s", code, data)
	}
	if code, data := post(t, url, map[string]any{"prompt": ids(59), "max_tokens": 5, "temperature": 0, "top_p": 1, "n": 1, "seed": 3}); code != 200 {
		t.Errorf("59 + 5 tokens: %d %s", code, data)
	}
}
