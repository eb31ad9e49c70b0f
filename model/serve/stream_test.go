package serve

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestStream checks OpenAI's completions stream: server-sent events
// "data: {chunk}" whose texts concatenate to the answer the same request
// gets without stream, with include_usage a last chunk with no choices
// and the usage, and "data: [DONE]" at the end.
func TestStream(t *testing.T) {
	dec, tok, _ := openFixture(t, "gpt2-tiny")
	_, url := start(t, dec, tok, Options{Name: "tiny"})
	req := map[string]any{"model": "tiny", "prompt": []string{"The cat", "A dog"}, "max_tokens": 5}
	plain := complete(t, url, req)
	for _, withUsage := range []bool{false, true} {
		body := map[string]any{"model": "tiny", "prompt": []string{"The cat", "A dog"}, "max_tokens": 5, "stream": true}
		if withUsage {
			body["stream_options"] = map[string]any{"include_usage": true}
		}
		data, _ := json.Marshal(body)
		resp, err := http.Post(url+"/v1/completions", "application/json", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "text/event-stream") {
			t.Fatalf("stream: HTTP %d, Content-Type %q", resp.StatusCode, ct)
		}
		texts := map[int]string{}
		var usage *struct{ PromptTokens, CompletionTokens, TotalTokens int }
		var events []string
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			line := sc.Text()
			if line == "" {
				continue
			}
			payload, ok := strings.CutPrefix(line, "data: ")
			if !ok {
				t.Fatalf("line %q is not a server-sent data event", line)
			}
			events = append(events, payload)
			if payload == "[DONE]" {
				continue
			}
			var c struct {
				Object  string
				Choices []struct {
					Index int
					Text  string
				}
				Usage *struct {
					PromptTokens     int `json:"prompt_tokens"`
					CompletionTokens int `json:"completion_tokens"`
					TotalTokens      int `json:"total_tokens"`
				}
			}
			if err := json.Unmarshal([]byte(payload), &c); err != nil {
				t.Fatalf("chunk %q: %v", payload, err)
			}
			for _, ch := range c.Choices {
				texts[ch.Index] += ch.Text
			}
			if c.Usage != nil {
				if len(c.Choices) != 0 {
					t.Errorf("usage chunk %q has choices", payload)
				}
				usage = &struct{ PromptTokens, CompletionTokens, TotalTokens int }{c.Usage.PromptTokens, c.Usage.CompletionTokens, c.Usage.TotalTokens}
			}
		}
		resp.Body.Close()
		if len(events) == 0 || events[len(events)-1] != "[DONE]" {
			t.Errorf("include_usage %v: the stream does not end with [DONE]: %q", withUsage, events)
		}
		for _, c := range plain.Choices {
			if texts[c.Index] != c.Text {
				t.Errorf("include_usage %v: streamed choice %d %q, want the unstreamed %q", withUsage, c.Index, texts[c.Index], c.Text)
			}
		}
		switch {
		case withUsage && usage == nil:
			t.Errorf("include_usage: no usage chunk in %q", events)
		case withUsage && (usage.PromptTokens != plain.Usage.PromptTokens || usage.TotalTokens != plain.Usage.TotalTokens):
			t.Errorf("usage %+v, want the unstreamed %+v", *usage, plain.Usage)
		case !withUsage && usage != nil:
			t.Errorf("usage chunk without include_usage: %+v", *usage)
		}
	}
}
