package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestChatTemplate checks that kshot serve reads a checkpoint's chat
// template from tokenizer_config.json (so that its chat endpoint refuses
// rather than render it otherwise) and finds none in the GPT-2 layout.
func TestChatTemplate(t *testing.T) {
	cases := []struct {
		name, config, want, err string
	}{
		{"no file", "", "", ""},
		{"no key", `{"model_max_length": 1024}`, "", ""},
		{"null", `{"chat_template": null}`, "", ""},
		{"string", `{"chat_template": "{{ messages[0].content }}"}`, "{{ messages[0].content }}", ""},
		{"named list", `{"chat_template": [{"name": "default", "template": "x"}]}`, `[{"name": "default", "template": "x"}]`, ""},
		{"malformed", `{"chat_template": `, "", "tokenizer_config.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if c.config != "" {
				if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(c.config), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := chatTemplate(dir)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Errorf("error %v, want one naming %q", err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("chatTemplate = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}
