package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// TestTokenizeCommand checks kshot tokenize against tiktoken's published
// vectors (public_test_vectors.json).
func TestTokenizeCommand(t *testing.T) {
	modelDir := sharedtest.Path(t, "fixtures/models/gpt2-tiny")
	var vec struct {
		Cases []struct {
			Text string `json:"text"`
			IDs  []int  `json:"ids"`
		} `json:"cases"`
	}
	b, err := os.ReadFile(sharedtest.Path(t, "data/gpt2_tokenizer/public_test_vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(b, &vec)
	var in bytes.Buffer
	var want []string
	for _, c := range vec.Cases {
		if strings.Contains(c.Text, "<|endoftext|>") {
			continue
		}
		line, _ := json.Marshal(c.Text)
		in.Write(append(line, '\n'))
		ids, _ := json.Marshal(c.IDs)
		if c.IDs == nil {
			ids = []byte("[]")
		}
		want = append(want, string(ids))
	}
	var out, errb bytes.Buffer
	if err := run([]string{"tokenize", "--model", modelDir, "--jsonl"}, &in, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	got := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(got) != len(want) {
		t.Fatalf("%d output lines, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("case %d: %s, want %s", i, got[i], want[i])
		}
	}
	out.Reset()
	if err := run([]string{"tokenize", "--model", modelDir}, strings.NewReader("hello world"), &out, &errb); err != nil || strings.TrimSpace(out.String()) != "[31373,995]" {
		t.Errorf("plain tokenize: %q %v, want [31373,995]", out.String(), err)
	}
}

// TestLogprobsCommand checks kshot logprobs against the fixture's
// independent reference.json.
func TestLogprobsCommand(t *testing.T) {
	dir := sharedtest.Path(t, "fixtures/models/gpt2-tiny")
	var ref struct {
		Sequences []struct {
			InputIDs []int     `json:"input_ids"`
			Argmax   []int     `json:"argmax"`
			Next     []float64 `json:"next_token_logprob"`
			Sum      float64   `json:"sum_logprob"`
		} `json:"sequences"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "reference.json"))
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer
	for _, s := range ref.Sequences {
		line, _ := json.Marshal(map[string]any{"ids": s.InputIDs})
		in.Write(append(line, '\n'))
	}
	var out, errb bytes.Buffer
	if err := run([]string{"logprobs", "--model", dir}, &in, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(ref.Sequences) {
		t.Fatalf("%d lines, want %d", len(lines), len(ref.Sequences))
	}
	for i, l := range lines {
		var got struct {
			IDs    []int     `json:"ids"`
			LogP   []float64 `json:"token_logprobs"`
			Argmax []int     `json:"argmax"`
			Sum    float64   `json:"sum_logprob"`
		}
		if err := json.Unmarshal([]byte(l), &got); err != nil {
			t.Fatal(err)
		}
		s := ref.Sequences[i]
		if len(got.LogP) != len(s.Next) || len(got.Argmax) != len(s.Argmax) {
			t.Fatalf("seq %d: %d logprobs and %d argmax, want %d and %d", i, len(got.LogP), len(got.Argmax), len(s.Next), len(s.Argmax))
		}
		for j := range s.Next {
			if math.Abs(got.LogP[j]-s.Next[j]) > 1e-4*math.Max(1, math.Abs(s.Next[j])) {
				t.Errorf("seq %d token %d: %v, want %v", i, j, got.LogP[j], s.Next[j])
			}
		}
		for j := range s.Argmax {
			if got.Argmax[j] != s.Argmax[j] {
				t.Errorf("seq %d pos %d: argmax %d, want %d", i, j, got.Argmax[j], s.Argmax[j])
			}
		}
		if math.Abs(got.Sum-s.Sum) > 1e-4*math.Max(1, math.Abs(s.Sum)) {
			t.Errorf("seq %d: sum %v, want %v", i, got.Sum, s.Sum)
		}
	}
	// Bad input: a token id out of range names the line.
	err := run([]string{"logprobs", "--model", dir}, strings.NewReader(`{"ids":[1,99999999]}`+"\n"), &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "line 1") || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("out-of-range id: error %v", err)
	}
}

// TestLogprobsIDsNeedNoTokenizer: {"ids": ...} input is scored with a
// model directory that has no tokenizer files (openai-gpt-tiny has none);
// only a {"text": ...} line asks for them.
func TestLogprobsIDsNeedNoTokenizer(t *testing.T) {
	dir := sharedtest.Path(t, "fixtures/models/openai-gpt-tiny")
	var out, errb bytes.Buffer
	err := run([]string{"logprobs", "--model", dir}, strings.NewReader(`{"ids":[1,2,3]}`+"\n"), &out, &errb)
	if err != nil {
		t.Fatalf("kshot logprobs with ids: %v", err)
	}
	var got struct {
		IDs           []int     `json:"ids"`
		TokenLogprobs []float64 `json:"token_logprobs"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v in %q", err, out.String())
	}
	if len(got.IDs) != 3 || len(got.TokenLogprobs) != 2 {
		t.Errorf("ids %v, %d log-probs; want the 3 ids and 2 log-probs (one per token after the first)", got.IDs, len(got.TokenLogprobs))
	}
	out.Reset()
	if err := run([]string{"logprobs", "--model", dir}, strings.NewReader(`{"text":"hello"}`+"\n"), &out, &errb); err == nil {
		t.Error(`kshot logprobs with {"text": ...} and no tokenizer files: no error`)
	}
}
