package serve

import (
	"testing"
	"unicode/utf8"
)

// FuzzParseRequest feeds arbitrary bodies to the request parser: it must
// return a request within the limits or an error, never panic.
func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{
		`{"prompt": "hello", "max_tokens": 3, "stop": ["\n"]}`,
		`{"prompt": [1, 2, 3], "echo": true, "max_tokens": 0, "logprobs": 1}`,
		`{"prompt": [[1, 2], [3]], "temperature": 0, "n": 1}`,
		`{"prompt": ["a", "b"], "stop": "x", "model": "m"}`,
		`{"prompt": [256, 300], "max_tokens": 99}`,
		`{"prompt": "", "logprobs": -1}`,
		`{"prompt": [1, "a"]}`,
		`{"prompt": null}`,
		`[]`,
		`{"prompt": "x"} {}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := parseRequest(body, byteTok{}, "m", 50, 4)
		if err != nil {
			if p != nil || err.msg == "" || err.status < 400 {
				t.Fatalf("error %+v with params %v", err, p)
			}
			return
		}
		if len(p.prompts) == 0 || len(p.prompts) > 4 || p.maxTokens < 0 || p.logprobs < -1 || p.logprobs > 1 {
			t.Fatalf("params out of range: %+v", p)
		}
		for _, ids := range p.prompts {
			if len(ids) == 0 || (p.maxTokens == 0 && len(ids) > 51) || (p.maxTokens > 0 && len(ids)+p.maxTokens > 50) {
				t.Fatalf("prompt of %d tokens with max_tokens %d accepted", len(ids), p.maxTokens)
			}
			for _, id := range ids {
				if id < 0 || id >= 257 {
					t.Fatalf("token %d accepted", id)
				}
			}
		}
	})
}

// FuzzCharOffsets checks charOffsets against counting runes of the
// valid prefix, on arbitrary bytes.
func FuzzCharOffsets(f *testing.F) {
	f.Add("hello 👋 world 🌍", 9)
	f.Add("\xf0\x9f", 1)
	f.Fuzz(func(t *testing.T, s string, b int) {
		if b < 0 || b > len(s) {
			return
		}
		got := charOffsets(s, []int{b, len(s)})
		// Characters that end at or before b.
		want, i := 0, 0
		for i < len(s) {
			_, w := utf8.DecodeRuneInString(s[i:])
			if i+w > b {
				break
			}
			want++
			i += w
		}
		if got[0] != want || got[1] != utf8.RuneCountInString(s) {
			t.Fatalf("offsets %v of byte %d in %q, want %d and %d", got, b, s, want, utf8.RuneCountInString(s))
		}
	})
}

// FuzzParseChat feeds arbitrary bodies to the chat request parser: it
// must return one prompt that leaves room in the window for what it may
// generate, or an error, never panic.
func FuzzParseChat(f *testing.F) {
	for _, s := range []string{
		`{"model": "m", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 3, "stop": ["\n"]}`,
		`{"model": "m", "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": [{"type": "text", "text": "q"}]}, {"role": "assistant", "content": "a"}], "logprobs": true, "top_logprobs": 1}`,
		`{"model": "m", "messages": [{"role": "tool", "content": "x"}]}`,
		`{"model": "m", "messages": [], "stream": true, "stream_options": {"include_usage": true}}`,
		`{"model": "m", "messages": [{"role": "user", "content": null}], "max_completion_tokens": 99}`,
		`{"model": "m", "messages": [{"role": "user", "content": "x"}], "logprobs": 1}`,
		`[]`,
	} {
		f.Add([]byte(s))
	}
	s := &Server{m: &gateModel{}, tok: byteTok{}, opt: Options{Name: "m"}}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := parseChat(body, s)
		if err != nil {
			if p != nil || err.msg == "" || err.status < 400 {
				t.Fatalf("error %+v with params %v", err, p)
			}
			return
		}
		if len(p.prompts) != 1 || len(p.prompts[0]) == 0 || p.maxTokens < 1 || len(p.prompts[0])+p.maxTokens > 100 ||
			p.topLogprobs < 0 || p.topLogprobs > 1 || p.logprobs < -1 || p.logprobs > 0 || len(p.stop) > maxStops {
			t.Fatalf("params out of range: %+v (%d prompt tokens)", p, len(p.prompts[0]))
		}
	})
}
