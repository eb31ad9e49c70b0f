package serve

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenAINodeSDK drives kshot serve with the official OpenAI Node SDK
// (testdata/openai_sdk.cjs): models.list and models.retrieve, a
// completion with integer logprobs, a stream with include_usage whose
// text is the unstreamed one, chat.completions.create with logprobs true
// and top_logprobs 1, streamed and not (the completion of the same
// text), and refusals the SDK turns into APIErrors
// with status 400 or 404 and code a string or null. It needs node and the
// openai package: KSHOT_NODE_MODULES names a node_modules directory with
// openai in it (npm install openai@6 in any directory); without them the
// test skips, saying so.
func TestOpenAINodeSDK(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: install Node.js to run the OpenAI SDK test")
	}
	mods := os.Getenv("KSHOT_NODE_MODULES")
	if mods == "" {
		t.Skip("KSHOT_NODE_MODULES is not set: run npm install openai@6 in a directory and set KSHOT_NODE_MODULES to its node_modules")
	}
	if _, err := os.Stat(filepath.Join(mods, "openai", "package.json")); err != nil {
		t.Skipf("no openai package in KSHOT_NODE_MODULES=%s: run npm install openai@6 there", mods)
	}
	dec, tok, _ := openFixture(t, "gpt2-tiny")
	_, url := start(t, dec, tok, Options{Name: "tiny"})
	cmd := exec.Command(node, filepath.Join("testdata", "openai_sdk.cjs"), url+"/v1", "tiny")
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	data, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var got struct {
		Listed          []string
		Retrieved       string
		Text            string
		TokenLogprobs   int
		Streamed        string
		Usage           map[string]int
		StreamUsage     map[string]int
		ChatText        string
		ChatRole        string
		ChatLogprobs    [][3]any
		ChatUsage       map[string]int
		ChatStreamed    string
		ChatStreamUsage map[string]int
		Errors          map[string]json.RawMessage
		Missing         struct {
			Status int
			Code   any
		}
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("node printed %q: %v", data, err)
	}
	if len(got.Listed) != 1 || got.Listed[0] != "tiny" || got.Retrieved != "tiny" {
		t.Errorf("models: listed %v, retrieved %q; want tiny", got.Listed, got.Retrieved)
	}
	ref := complete(t, url, map[string]any{"prompt": "The cat", "max_tokens": 4})
	if got.Text != ref.Choices[0].Text || got.Streamed != got.Text || got.TokenLogprobs != 4 {
		t.Errorf("SDK text %q, streamed %q, %d token log-probs; want %q twice and 4", got.Text, got.Streamed, got.TokenLogprobs, ref.Choices[0].Text)
	}
	if got.StreamUsage["total_tokens"] != ref.Usage.TotalTokens || got.Usage["total_tokens"] != ref.Usage.TotalTokens {
		t.Errorf("usage %v, stream usage %v; want total_tokens %d", got.Usage, got.StreamUsage, ref.Usage.TotalTokens)
	}
	// One user message renders as its content: the chat answer is the
	// completion of the same text, token for token.
	lp := complete(t, url, map[string]any{"prompt": "The cat", "max_tokens": 4, "logprobs": 1}).Choices[0].Logprobs
	if got.ChatText != ref.Choices[0].Text || got.ChatRole != "assistant" || got.ChatStreamed != got.ChatText || len(got.ChatLogprobs) != len(lp.Tokens) {
		t.Errorf("SDK chat %q (role %q), streamed %q, %d log-probs; want %q twice as the assistant and %d", got.ChatText, got.ChatRole, got.ChatStreamed, len(got.ChatLogprobs), ref.Choices[0].Text, len(lp.Tokens))
	}
	for k, e := range got.ChatLogprobs {
		if k < len(lp.Tokens) && (e[0] != lp.Tokens[k] || e[1] != *lp.TokenLogprobs[k] || e[2] != 1.0) {
			t.Errorf("chat log-prob %d: %v, want [%q %g 1]", k, e, lp.Tokens[k], *lp.TokenLogprobs[k])
		}
	}
	if got.ChatUsage["total_tokens"] != ref.Usage.TotalTokens || got.ChatStreamUsage["total_tokens"] != ref.Usage.TotalTokens {
		t.Errorf("chat usage %v, stream usage %v; want total_tokens %d", got.ChatUsage, got.ChatStreamUsage, ref.Usage.TotalTokens)
	}
	for _, name := range []string{"fiveStops", "logprobsBool", "fractionalMaxTokens", "noModel", "chatTopLogprobsAlone", "chatNoModel", "chatToolRole"} {
		var e struct {
			Status  int
			Code    any
			Message string
		}
		if json.Unmarshal(got.Errors[name], &e) != nil || e.Status != 400 {
			t.Errorf("%s: %s, want an APIError with status 400", name, got.Errors[name])
			continue
		}
		if _, ok := e.Code.(string); !ok && e.Code != nil {
			t.Errorf("%s: code %v, want a string or null", name, e.Code)
		}
		if strings.Contains(e.Message, "Go struct") {
			t.Errorf("%s: message %q names a Go type", name, e.Message)
		}
	}
	if got.Missing.Status != 404 || got.Missing.Code != "model_not_found" {
		t.Errorf("retrieve gpt-4: %+v, want 404 model_not_found", got.Missing)
	}
}
