package apilm

import (
	"testing"
)

// FuzzReadScore feeds arbitrary answers to the response parser: it must
// return a score or an error, never panic, and a score must cover at
// least one token.
func FuzzReadScore(f *testing.F) {
	for _, s := range []string{
		`{"choices": [{"index": 0, "text": "The cat sat", "logprobs": {"tokens": ["The", " cat", " sat"], "token_logprobs": [null, -1, -2], "top_logprobs": [null, {" cat": -1}, {" dog": -0.5}], "text_offset": [0, 3, 7]}}]}`,
		`{"choices": [{"text": "The cat sat", "logprobs": {"tokens": ["The", " cat"], "token_logprobs": [null, -1], "top_logprobs": [null, null], "text_offset": [0, 3]}}]}`,
		`{"choices": [{"text": "x", "logprobs": null}]}`,
		`{"choices": []}`,
		`{"choices": [{"index": 1, "text": "The cat sat", "logprobs": {"tokens": ["The cat sat"], "token_logprobs": [null], "top_logprobs": [null], "text_offset": [0]}}]}`,
		`{"choices": [{"text": "", "logprobs": {"tokens": ["a", "b", "c", "d"], "token_logprobs": [null, -1, -1, -1], "top_logprobs": [null, {}, {"c": 0}, {"d": 1}], "text_offset": [0, 5, 2, 9]}}]}`,
		`not json`,
	} {
		f.Add([]byte(s))
	}
	plans := []*scoring{
		{prompt: "The cat sat", from: 7, wantTotal: -1, wantCont: -1, greedy: true},
		{prompt: "The cat sat", from: 7, wantTotal: 3, wantCont: 1, greedy: true, maxScored: 2},
		{ids: []int{1, 2, 3}, from: 1, wantTotal: -1, wantCont: -1},
		{ids: []int{1, 2, 3, 4}, from: 3, wantTotal: -1, wantCont: -1, greedy: true},
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := parseCompletion(body)
		if err != nil {
			return
		}
		for _, p := range plans {
			s, err := readScore(c, p)
			if err == nil && s.tokens < 1 {
				t.Fatalf("score %+v over no token", s)
			}
		}
	})
}
