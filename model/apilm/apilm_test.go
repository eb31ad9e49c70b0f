package apilm

import (
	"context"
	"errors"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/kshot-eval/kshot/eval"
)

func newLM(t *testing.T, cfg Config) *LM {
	t.Helper()
	if cfg.Model == "" {
		cfg.Model = "toy"
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = time.Millisecond
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestLoglikelihood checks the context/continuation split and the sums
// on the toy model (log p = -0.5 per character; a token with an
// upper-case letter is not the top-1), values worked out by hand.
func TestLoglikelihood(t *testing.T) {
	cases := []struct {
		name   string
		req    eval.Loglikelihood
		want   float64
		greedy bool
		tokens int
	}{
		// " sat": 4 characters.
		{"plain", eval.Loglikelihood{Context: "The cat", Continuation: " sat"}, -2, true, 1},
		// The trailing space moves: " Sat" (4) + " down" (5), " Sat" not top-1.
		{"trailing space", eval.Loglikelihood{Context: "The cat ", Continuation: "Sat down"}, -4.5, false, 2},
		// Empty context: "<|endoftext|>" first; "Hello" (5) + " world" (6).
		{"empty context", eval.Loglikelihood{Context: "", Continuation: "Hello world"}, -5.5, false, 2},
		// Offsets count characters: "café au" is 7 characters, 8 bytes.
		{"characters", eval.Loglikelihood{Context: "café au", Continuation: " lait"}, -2.5, true, 1},
	}
	for _, mode := range []string{"", "vllm"} {
		f := newFake(t, newWordTok())
		f.mode = mode
		m := newLM(t, Config{Endpoints: []string{f.url()}})
		reqs := make([]eval.Loglikelihood, len(cases))
		for i, c := range cases {
			reqs[i] = c.req
		}
		got, err := m.Loglikelihood(context.Background(), reqs)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range cases {
			t.Run(mode+"/"+c.name, func(t *testing.T) {
				if g := got[i]; math.Abs(g.LogProb-c.want) > 1e-12 || g.Greedy != c.greedy || g.Tokens != c.tokens {
					t.Errorf("got %+v, want {%v %v %d}", g, c.want, c.greedy, c.tokens)
				}
			})
		}
		for _, b := range f.bodies {
			if b["echo"] != true || b["max_tokens"] != 0.0 || b["logprobs"] != 1.0 || b["temperature"] != 0.0 || b["model"] != "toy" {
				t.Errorf("request body %v", b)
			}
		}
	}
}

// TestRolling checks rolling scores with and without a tokenizer; with
// one, the text is cut into eval.RollingWindows and sent as token ids.
func TestRolling(t *testing.T) {
	tok := newWordTok()
	f := newFake(t, tok)
	// "<|endoftext|>" then "a" (1 char) and " b", " c", " d", " e" (2 each).
	text := "a b c d e"
	whole := newLM(t, Config{Endpoints: []string{f.url()}})
	got, err := whole.Rolling(context.Background(), []eval.Rolling{{Text: text}, {Text: ""}})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].LogProb != -4.5 || got[0].Tokens != 5 || got[1] != (eval.RollingResult{}) {
		t.Errorf("whole text: %+v", got)
	}
	// MaxLength is the server's window: a 3-token server window holds
	// a scoring prompt of 2 predictions plus the token before them.
	small := newLM(t, Config{Endpoints: []string{f.url()}, MaxLength: 3})
	if _, err := small.Rolling(context.Background(), []eval.Rolling{{Text: text}}); err == nil || !strings.Contains(err.Error(), "more than the 2-token window") {
		t.Errorf("text longer than the window without a tokenizer: %v", err)
	}
	f.set(func(f *fakeAPI) { f.bodies = nil })
	windows := newLM(t, Config{Endpoints: []string{f.url()}, MaxLength: 3, Tokenizer: tok})
	got, err = windows.Rolling(context.Background(), []eval.Rolling{{Text: text}})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].LogProb != -4.5 || got[0].Tokens != 5 {
		t.Errorf("windows: %+v, want -4.5 over 5 tokens", got[0])
	}
	// Windows of 2 predictions: [eot a b], [b c d], [c d e].
	if len(f.bodies) != 3 {
		t.Fatalf("%d requests, want 3 windows", len(f.bodies))
	}
	var prompts []string
	for _, b := range f.bodies {
		ids := b["prompt"].([]any)
		p := make([]int, len(ids))
		for i, v := range ids {
			p[i] = int(v.(float64))
		}
		prompts = append(prompts, tok.Decode(p))
	}
	want := map[string]bool{"<|endoftext|>a b": true, " b c d": true, " c d e": true}
	for _, p := range prompts {
		if !want[p] {
			t.Errorf("window %q, want one of %v", p, want)
		}
	}
}

// TestGenerate checks the generation request and the client-side stop.
func TestGenerate(t *testing.T) {
	f := newFake(t, newWordTok())
	// A server window of 101 tokens: kshot's window is 100 (one token is
	// kept for the scoring prompt's first token), the budget 99.
	m := newLM(t, Config{Endpoints: []string{f.url()}, MaxLength: 101})
	got, err := m.Generate(context.Background(), []eval.Generate{
		{Context: "Q: why?\nA:", Until: []string{"\n", ""}},
		{Context: "", MaxTokens: 7},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Text != "hello" || got[1].Text != "hello\nworld" {
		t.Errorf("texts %q", got)
	}
	bodies := map[string]map[string]any{}
	for _, b := range f.bodies {
		bodies[b["prompt"].(string)] = b
	}
	if b := bodies["Q: why?\nA:"]; b == nil || b["max_tokens"] != 99.0 || b["temperature"] != 0.0 || len(b["stop"].([]any)) != 1 || b["echo"] != nil {
		t.Errorf("first body %v: want max_tokens 99 (window-1), temperature 0, one stop string", b)
	}
	if b := bodies[eotText]; b == nil || b["max_tokens"] != 7.0 {
		t.Errorf("empty context: body %v, want prompt %q and max_tokens 7", b, eotText)
	}
	if _, err := m.Generate(context.Background(), []eval.Generate{{Context: "x", Exclude: []string{"the"}}}); err == nil || !strings.Contains(err.Error(), "built-in decoder") {
		t.Errorf("Exclude: %v", err)
	}
}

// TestBadAnswers checks that each way a server can answer wrongly is an
// error naming the endpoint and the request.
func TestBadAnswers(t *testing.T) {
	cases := []struct {
		name  string
		mode  string
		req   eval.Loglikelihood
		tok   eval.Tokenizer
		is    error
		wants []string
	}{
		{"malformed JSON", "malformed", eval.Loglikelihood{Context: "a", Continuation: " b"}, nil, nil,
			[]string{"not valid completions JSON"}},
		{"fewer log-probs than tokens", "short", eval.Loglikelihood{Context: "a", Continuation: " b"}, nil, nil,
			[]string{"1 token_logprobs for 2 tokens"}},
		{"no prompt log-probs", "noecho", eval.Loglikelihood{Context: "a", Continuation: " b"}, nil, ErrNoPromptLogprobs,
			[]string{"generation tasks can"}},
		{"token across the boundary", "", eval.Loglikelihood{Context: "I hel", Continuation: "lo there"}, nil, ErrTokenizerMismatch,
			[]string{`token 1 " hello" starts at character 1`, "continuation, which starts at character 5"}},
		{"other tokenizer", "", eval.Loglikelihood{Context: "a big", Continuation: " cat"}, charTok{}, ErrTokenizerMismatch,
			[]string{"split the prompt into 3 tokens (1 scored)", "into 9 (4 scored)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t, newWordTok())
			f.mode = c.mode
			m := newLM(t, Config{Endpoints: []string{f.url()}, Tokenizer: c.tok})
			r := c.req
			_, err := m.Loglikelihood(context.Background(), []eval.Loglikelihood{r})
			if err == nil {
				t.Fatal("no error")
			}
			var re *RequestError
			if !errors.As(err, &re) || re.Endpoint != f.url() || !strings.Contains(err.Error(), f.url()) {
				t.Errorf("error %v does not name endpoint %s", err, f.url())
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %v is not %v", err, c.is)
			}
			if !strings.Contains(err.Error(), "loglikelihood request") {
				t.Errorf("error %v does not name the request", err)
			}
			for _, w := range c.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %v does not mention %q", err, w)
				}
			}
		})
	}
}

// charTok tokenizes into single characters: not the fake server's
// tokenizer.
type charTok struct{}

func (charTok) Encode(s string) []int {
	var out []int
	for _, r := range s {
		out = append(out, int(r))
	}
	return out
}
func (charTok) Decode(ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		b.WriteRune(rune(id))
	}
	return b.String()
}
func (charTok) EOT() int { return -1 }

// TestChatOnly checks that a server without prompt log-probabilities is
// refused for loglikelihood (at once, the second time) and still
// generates.
func TestChatOnly(t *testing.T) {
	f := newFake(t, newWordTok())
	f.mode = "noecho"
	m := newLM(t, Config{Endpoints: []string{f.url()}})
	_, err := m.Loglikelihood(context.Background(), []eval.Loglikelihood{{Context: "a", Continuation: " b"}})
	if !errors.Is(err, ErrNoPromptLogprobs) {
		t.Fatalf("loglikelihood: %v, want ErrNoPromptLogprobs", err)
	}
	n := f.count()
	if _, err := m.Rolling(context.Background(), []eval.Rolling{{Text: "a b"}}); !errors.Is(err, ErrNoPromptLogprobs) {
		t.Errorf("rolling: %v, want ErrNoPromptLogprobs", err)
	}
	if f.count() != n {
		t.Errorf("rolling sent %d requests to a server known to lack prompt log-probabilities", f.count()-n)
	}
	got, err := m.Generate(context.Background(), []eval.Generate{{Context: "a", Until: []string{"\n"}}})
	if err != nil || got[0].Text != "hello" {
		t.Errorf("generate: %v %v", got, err)
	}
}

// TestRetries checks retries after 429 and 5xx, the limit on them, and
// that a 400 is not retried.
func TestRetries(t *testing.T) {
	req := []eval.Loglikelihood{{Context: "The cat", Continuation: " sat"}}
	cases := []struct {
		name     string
		statuses []int
		retries  int
		calls    int
		want     string // error text, "" for success
	}{
		{"429 then success", []int{429, 429}, 4, 3, ""},
		{"503 then success", []int{503}, 4, 2, ""},
		{"5xx beyond the retries", []int{500, 502, 504}, 2, 3, "HTTP 504: fake status 504 (after 3 attempts)"},
		{"400 is final", []int{400}, 4, 1, "HTTP 400: fake status 400"},
		{"no retries", []int{429}, -1, 1, "HTTP 429"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t, newWordTok())
			f.statuses = c.statuses
			m := newLM(t, Config{Endpoints: []string{f.url()}, Retries: c.retries})
			got, err := m.Loglikelihood(context.Background(), req)
			if f.count() != c.calls {
				t.Errorf("%d calls, want %d", f.count(), c.calls)
			}
			if c.want == "" {
				if err != nil || got[0].LogProb != -2 {
					t.Errorf("got %v %v, want -2", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), f.url()) {
				t.Errorf("error %v, want one naming %s and %q", err, f.url(), c.want)
			}
		})
	}
}

// closedPort returns a URL on 127.0.0.1 where nothing listens.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/v1"
}

func TestEndpointDown(t *testing.T) {
	down := closedPort(t)
	if _, err := New(Config{Endpoints: []string{down}, Model: "toy"}); err == nil || !strings.Contains(err.Error(), down) || !strings.Contains(err.Error(), "not reachable") {
		t.Errorf("New on a closed port: %v", err)
	}
	// The server goes away after New.
	f := newFake(t, newWordTok())
	m := newLM(t, Config{Endpoints: []string{f.url()}, Retries: 1})
	f.srv.Close()
	_, err := m.Loglikelihood(context.Background(), []eval.Loglikelihood{{Context: "a", Continuation: " b"}})
	var re *RequestError
	if !errors.As(err, &re) || re.Endpoint != f.url() || re.Attempts != 2 || !strings.Contains(err.Error(), "loglikelihood request 1 of 1") {
		t.Errorf("server gone: %v", err)
	}
}

// TestEndpoints checks that requests spread over several endpoints with
// bounded concurrency, and that a failing endpoint's requests move to a
// working one.
func TestEndpoints(t *testing.T) {
	tok := newWordTok()
	a, b := newFake(t, tok), newFake(t, tok)
	a.delay, b.delay = 5*time.Millisecond, 5*time.Millisecond
	m := newLM(t, Config{Endpoints: []string{a.url(), b.url()}, Concurrency: 2})
	reqs := make([]eval.Loglikelihood, 24)
	for i := range reqs {
		reqs[i] = eval.Loglikelihood{Context: "The cat", Continuation: " sat"}
	}
	if _, err := m.Loglikelihood(context.Background(), reqs); err != nil {
		t.Fatal(err)
	}
	if a.count() == 0 || b.count() == 0 || a.count()+b.count() != 24 {
		t.Errorf("requests per endpoint %d and %d, want both used, 24 in all", a.count(), b.count())
	}
	if a.maxInflight > 2 || b.maxInflight > 2 {
		t.Errorf("in flight at once: %d and %d, want at most 2", a.maxInflight, b.maxInflight)
	}
	// Endpoint a fails every request: all are answered by b.
	a.set(func(f *fakeAPI) {
		f.calls, f.statuses = 0, []int{503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503}
	})
	b.set(func(f *fakeAPI) { f.calls = 0 })
	got, err := m.Loglikelihood(context.Background(), reqs[:8])
	if err != nil {
		t.Fatalf("with one endpoint failing: %v", err)
	}
	if b.count() != 8 || len(got) != 8 || got[7].LogProb != -2 {
		t.Errorf("endpoint b answered %d of 8 (a refused %d)", b.count(), a.count())
	}
}

// TestAPIKey checks that the key is sent and never appears in errors.
func TestAPIKey(t *testing.T) {
	const key = "sk-secret-4242"
	f := newFake(t, newWordTok())
	f.key = key
	_, err := New(Config{Endpoints: []string{f.url()}, Model: "toy", APIKey: "sk-wrong-1"})
	if err == nil || !strings.Contains(err.Error(), "refused the API key") || strings.Contains(err.Error(), "sk-wrong") {
		t.Errorf("wrong key: %v", err)
	}
	m := newLM(t, Config{Endpoints: []string{f.url()}, APIKey: key})
	if _, err := m.Loglikelihood(context.Background(), []eval.Loglikelihood{{Context: "a", Continuation: " b"}}); err != nil {
		t.Fatal(err)
	}
	f.set(func(f *fakeAPI) { f.key = "rotated" })
	_, err = m.Loglikelihood(context.Background(), []eval.Loglikelihood{{Context: "a", Continuation: " b"}})
	if err == nil || strings.Contains(err.Error(), key) || strings.Contains(m.CacheKey(), key) {
		t.Errorf("error %v or cache key %q shows the key", err, m.CacheKey())
	}
}

func TestNewChecks(t *testing.T) {
	f := newFake(t, newWordTok())
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no endpoint", Config{Model: "toy"}, "no endpoint"},
		{"no model", Config{Endpoints: []string{f.url()}}, "--api-model"},
		{"not a URL", Config{Endpoints: []string{"host:8000"}, Model: "toy"}, "not an http(s) URL"},
		{"key in URL", Config{Endpoints: []string{"http://user:pw@host/v1"}, Model: "toy"}, "--api-key-env"},
		{"other model", Config{Endpoints: []string{f.url()}, Model: "gpt-j"}, `does not serve model "gpt-j" (it serves "toy")`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := New(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
	f.set(func(f *fakeAPI) { f.model = "org/toy-1b" })
	m := newLM(t, Config{Endpoints: []string{f.srv.URL, f.url() + "/completions"}, Model: "org/toy-1b"})
	// vLLM-style max_model_len 1024: a scoring prompt of window+1 tokens
	// plus max_tokens 0 must fit.
	if m.MaxLength() != 1023 {
		t.Errorf("window %d, want 1023", m.MaxLength())
	}
	if info := m.Info(); info.Name != "toy-1b" || info.Source != f.url() {
		t.Errorf("info %+v: want name toy-1b and the one endpoint", info)
	}
}

func TestNormalizeBase(t *testing.T) {
	for in, want := range map[string]string{
		"http://h:8000":                "http://h:8000/v1",
		"http://h:8000/":               "http://h:8000/v1",
		"http://h:8000/v1":             "http://h:8000/v1",
		"https://h/v1/":                "https://h/v1",
		"http://h:8000/v1/completions": "http://h:8000/v1",
		"http://h/openai/v1?x=1":       "http://h/openai/v1",
	} {
		if got, err := normalizeBase(in); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", in, got, err, want)
		}
	}
}

func TestIsTop(t *testing.T) {
	cases := []struct {
		top  map[string]float64
		tok  string
		want bool
	}{
		{map[string]float64{" a": -1}, " a", true},
		{map[string]float64{" b": -1}, " a", false},
		{map[string]float64{" a": -2, " b": -1}, " a", false},
		{map[string]float64{" a": -1, " b": -1}, " a", true},
		{nil, " a", false},
	}
	for _, c := range cases {
		if got := isTop(c.top, c.tok); got != c.want {
			t.Errorf("isTop(%v, %q) = %v", c.top, c.tok, got)
		}
	}
}

// TestCancel checks that a cancelled context stops a batch waiting on a
// slow server.
func TestCancel(t *testing.T) {
	f := newFake(t, newWordTok())
	f.delay = 300 * time.Millisecond
	m := newLM(t, Config{Endpoints: []string{f.url()}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := m.Loglikelihood(ctx, []eval.Loglikelihood{{Context: "a", Continuation: " b"}})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 250*time.Millisecond {
		t.Errorf("after %v: %v, want the context's deadline", time.Since(start), err)
	}
}

var _ eval.LanguageModel = (*LM)(nil)

// TestGenerateDecoding checks that a sampled request sends its
// parameters and that beam search is refused before any request is sent.
func TestGenerateDecoding(t *testing.T) {
	f := newFake(t, newWordTok())
	m := newLM(t, Config{Endpoints: []string{f.url()}, MaxLength: 100})
	_, err := m.Generate(context.Background(), []eval.Generate{
		{Context: "k2", MaxTokens: 5, Decoding: eval.Decoding{Method: eval.DecodeSample, Temperature: 0.7, TopK: 2, TopP: 1, Seed: 42}},
		{Context: "nucleus", MaxTokens: 5, Decoding: eval.Decoding{Method: eval.DecodeSample, Temperature: 1, TopP: 0.9}},
	})
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[string]map[string]any{}
	for _, b := range f.bodies {
		bodies[b["prompt"].(string)] = b
	}
	if b := bodies["k2"]; b == nil || b["temperature"] != 0.7 || b["top_k"] != 2.0 || b["top_p"] != 1.0 || b["seed"] != 42.0 {
		t.Errorf("top-k body %v: want temperature 0.7, top_k 2, top_p 1, seed 42", b)
	}
	if b := bodies["nucleus"]; b == nil || b["temperature"] != 1.0 || b["top_p"] != 0.9 || b["seed"] != 0.0 || b["top_k"] != nil {
		t.Errorf("top-p body %v: want temperature 1, top_p 0.9, seed 0 and no top_k", b)
	}
	n := f.count()
	_, err = m.Generate(context.Background(), []eval.Generate{{Context: "x", Decoding: eval.Decoding{Method: eval.DecodeBeam, BeamWidth: 4, LengthPenalty: 0.6}}})
	if err == nil || !strings.Contains(err.Error(), "no beam search") {
		t.Errorf("beam search: error %v, want a refusal", err)
	}
	_, err = m.Generate(context.Background(), []eval.Generate{{Context: "x", Decoding: eval.Decoding{Method: eval.DecodeSample, Temperature: -1, TopP: 1}}})
	if err == nil || !strings.Contains(err.Error(), "temperature -1") {
		t.Errorf("temperature -1: error %v, want a refusal", err)
	}
	if f.count() != n {
		t.Errorf("%d requests sent for refused generations", f.count()-n)
	}
}
