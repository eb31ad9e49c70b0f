package apilm

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
)

// TestProbe checks what the probe finds on the llama.cpp stand-in (the
// behaviour llama.cpp's tools/server documents) and on the vLLM-like
// fake, field by field.
func TestProbe(t *testing.T) {
	llama := newFakeLlama(t)
	llamaMeta := newFakeLlama(t)
	llamaMeta.metaCtx = 512
	vllm := newFake(t, newWordTok())
	cases := []struct {
		name  string
		url   string
		model string
		want  Report // the fields compared below
	}{
		{"llama.cpp", llama.url(), "", Report{Server: "llama.cpp", Model: "gpt2-fixture.gguf", Window: 256,
			WindowSource: "GET /props default_generation_settings.n_ctx", PromptLogprobs: false, MaxTokensZero: "generates",
			ScoringGenerates: 1, Stop: "honoured", LogprobsFormat: "content", Completions: true, Chat: true, Tokenize: true}},
		{"llama.cpp meta.n_ctx", llamaMeta.url(), "", Report{Server: "llama.cpp", Model: "gpt2-fixture.gguf", Window: 512,
			WindowSource: "GET /models meta.n_ctx", PromptLogprobs: false, MaxTokensZero: "generates",
			ScoringGenerates: 1, Stop: "honoured", LogprobsFormat: "content", Completions: true, Chat: true, Tokenize: true}},
		// The fake answers "hello\nworld" whatever the stop strings.
		{"vLLM-like", vllm.url(), "toy", Report{Server: "unknown", Model: "toy", Window: 1024,
			WindowSource: "GET /models max_model_len", PromptLogprobs: true, MaxTokensZero: "honoured",
			Stop: "ignored", LogprobsFormat: "completions", Completions: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Probe(context.Background(), Config{Endpoints: []string{c.url}, Model: c.model})
			if err != nil {
				t.Fatal(err)
			}
			got := Report{Server: r.Server, Model: r.Model, Window: r.Window, WindowSource: r.WindowSource,
				PromptLogprobs: r.PromptLogprobs, MaxTokensZero: r.MaxTokensZero, ScoringGenerates: r.ScoringGenerates,
				Stop: r.Stop, LogprobsFormat: r.LogprobsFormat, Completions: r.Completions, Chat: r.Chat, Tokenize: r.Tokenize}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("report\n %+v\nwant\n %+v\nnotes %q", got, c.want, r.Notes)
			}
		})
	}
	// The stand-in's tokenizer: "The", " capital", … (words of ProbeText).
	r, err := Probe(context.Background(), Config{Endpoints: []string{llama.url()}})
	if err != nil {
		t.Fatal(err)
	}
	if r.ProbeTokenCount != len(words(ProbeText)) {
		t.Errorf("probe tokens %d, want %d", r.ProbeTokenCount, len(words(ProbeText)))
	}
	if !strings.Contains(strings.Join(r.Notes, "\n"), "6 generated tokens came with 5 log-prob entries") {
		t.Errorf("notes %q: want the lost log-prob entry of the UTF-8-split token noted", r.Notes)
	}
}

// TestProbeModelChoice checks that --api-model may be left out when the
// server lists one model, and not when it lists several.
func TestProbeModelChoice(t *testing.T) {
	two := newFakeLlama(t, "a.gguf", "b.gguf")
	if _, err := Probe(context.Background(), Config{Endpoints: []string{two.url()}}); err == nil ||
		!strings.Contains(err.Error(), `serves "a.gguf", "b.gguf": choose one with --api-model`) {
		t.Errorf("two models, no --api-model: %v", err)
	}
	if r, err := Probe(context.Background(), Config{Endpoints: []string{two.url()}, Model: "b.gguf"}); err != nil || r.Model != "b.gguf" {
		t.Errorf("two models, --api-model b.gguf: %v %v", r, err)
	}
	if _, err := Probe(context.Background(), Config{Endpoints: []string{two.url()}, Model: "c"}); err == nil || !strings.Contains(err.Error(), `does not serve model "c"`) {
		t.Errorf("unknown model: %v", err)
	}
}

// TestOpenLlama runs the LM on the llama.cpp stand-in: the window from
// /props less the prompt's first token and the token max_tokens 0
// generates, loglikelihood and rolling refused with the reason and
// without a request, generation intact across a UTF-8-split token.
func TestOpenLlama(t *testing.T) {
	f := newFakeLlama(t)
	m, err := Open(context.Background(), Config{Endpoints: []string{f.url()}})
	if err != nil {
		t.Fatal(err)
	}
	if m.MaxLength() != 254 {
		t.Errorf("window %d, want 256-1-1", m.MaxLength())
	}
	n := f.count()
	_, err = m.Loglikelihood(context.Background(), []eval.Loglikelihood{{Context: "a", Continuation: " b"}})
	if !errors.Is(err, ErrNoPromptLogprobs) || !strings.Contains(err.Error(), "llama.cpp") || !strings.Contains(err.Error(), "vLLM") {
		t.Errorf("loglikelihood: %v, want ErrNoPromptLogprobs naming the server and the servers that can", err)
	}
	if _, err := m.Rolling(context.Background(), []eval.Rolling{{Text: "a b"}}); !errors.Is(err, ErrNoPromptLogprobs) {
		t.Errorf("rolling: %v", err)
	}
	if f.count() != n {
		t.Errorf("%d scoring requests sent to a server the probe found without prompt log-probabilities", f.count()-n)
	}
	if err := m.Refusal(eval.Loglikelihood{}); err == nil {
		t.Error("Refusal(Loglikelihood) is nil on llama.cpp")
	}
	if err := m.Refusal(eval.Generate{}); err != nil {
		t.Errorf("Refusal(Generate): %v", err)
	}
	got, err := m.Generate(context.Background(), []eval.Generate{{Context: "Q:", Until: []string{"\n"}, MaxTokens: 6}})
	if err != nil || got[0].Text != " Tokyo 東京" {
		t.Errorf("generate: %q %v, want %q", got, err, " Tokyo 東京")
	}
}

// TestFingerprint checks that the cache key changes with what the server
// answers to the probe, and that --api-fingerprint pins it.
func TestFingerprint(t *testing.T) {
	a := newFakeLlama(t)
	b := newFakeLlama(t)
	b.idShift = 7 // the same name and window, redeployed with another vocabulary
	key := func(url, pin string) string {
		m, err := Open(context.Background(), Config{Endpoints: []string{url}, Fingerprint: pin})
		if err != nil {
			t.Fatal(err)
		}
		return m.CacheKey()
	}
	if key(a.url(), "") == key(b.url(), "") {
		t.Error("same cache key for servers that answer the probe differently")
	}
	if key(a.url(), "") != key(a.url(), "") {
		t.Error("cache key differs between two probes of the same server")
	}
	if k := key(a.url(), "ckpt-7"); !strings.Contains(k, "ckpt-7") {
		t.Errorf("pinned fingerprint missing from %q", k)
	}
}
