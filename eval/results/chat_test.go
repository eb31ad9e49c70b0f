package results

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kshot-eval/kshot/eval"
)

// TestChatRecorded checks that a run through a chat endpoint records the
// endpoint (config.chat_endpoint) and its options under
// lm-evaluation-harness's top-level names, and that other runs have none
// of these keys.
func TestChatRecorded(t *testing.T) {
	model := eval.ModelInfo{Name: "gpt-4o", Source: "http://h/v1"}
	run := func(chat *eval.ChatInfo) map[string]json.RawMessage {
		m := model
		m.Chat = chat
		f, _, err := FromEval(eval.RunInfo{Model: m, Date: time.Unix(0, 0)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(data, &top); err != nil {
			t.Fatal(err)
		}
		return top
	}
	top := run(&eval.ChatInfo{Endpoint: "http://h/v1/chat/completions", SystemInstruction: "Be brief.", FewshotAsMultiturn: true})
	want := map[string]string{
		"system_instruction": `"Be brief."`,
		// sha256 of the UTF-8 bytes of "Be brief." (printf 'Be brief.' | sha256sum)
		"system_instruction_sha": `"213c22ed7234eb11116e1e88f314c73cb3a019b5c87fe224b6ce5665bd9ec50e"`,
		"fewshot_as_multiturn":   `true`,
	}
	for k, v := range want {
		if string(top[k]) != v {
			t.Errorf("%s = %s, want %s", k, top[k], v)
		}
	}
	var cfg struct {
		ChatEndpoint string `json:"chat_endpoint"`
	}
	if err := json.Unmarshal(top["config"], &cfg); err != nil || cfg.ChatEndpoint != "http://h/v1/chat/completions" {
		t.Errorf("config.chat_endpoint %q (%v), want the endpoint", cfg.ChatEndpoint, err)
	}
	top = run(&eval.ChatInfo{Endpoint: "http://h/v1/chat/completions"})
	if string(top["fewshot_as_multiturn"]) != "false" || top["system_instruction"] != nil {
		t.Errorf("single-message chat run without system prompt: fewshot_as_multiturn %s, system_instruction %s; want false and absent",
			top["fewshot_as_multiturn"], top["system_instruction"])
	}
	top = run(nil)
	for _, k := range []string{"system_instruction", "system_instruction_sha", "fewshot_as_multiturn"} {
		if _, ok := top[k]; ok {
			t.Errorf("a completions run has %s", k)
		}
	}
	cfg.ChatEndpoint = ""
	if json.Unmarshal(top["config"], &cfg) != nil || cfg.ChatEndpoint != "" {
		t.Errorf("a completions run has config.chat_endpoint %q", cfg.ChatEndpoint)
	}
}
