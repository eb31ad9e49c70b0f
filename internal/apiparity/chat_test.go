package apiparity

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/sharedtest"
	"github.com/kshot-eval/kshot/model"
	"github.com/kshot-eval/kshot/model/apilm"
	"github.com/kshot-eval/kshot/tasks"
)

// TestChatParity evaluates 2-shot TriviaQA (the gpt3 variant's prompt: no
// description, lm-evaluation-harness's default delimiters; decoded
// greedily, since chat endpoints take no beam search) with the
// built-in decoder and through kshot serve's chat endpoint, once as one
// user message and once with --fewshot-as-multiturn: kshot serve's plain
// rendering of both conversations is the completions prompt, so every
// document's answer must be the decoder's.
func TestChatParity(t *testing.T) {
	dir := sharedtest.Path(t, "fixtures/models/gpt2-lambada-tiny")
	direct, dec, tok, err := model.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	info := direct.Info()
	url := startServe(t, dec, tok, info)
	task, err := tasks.New("triviaqa", tasks.Options{DataPath: filepath.Join("..", "..", "tasks", "testdata", "gpt3", "triviaqa.jsonl"), Variant: "gpt3", Decoding: &eval.Decoding{Method: eval.DecodeGreedy}})
	if err != nil {
		t.Fatal(err)
	}
	evaluate := func(lm eval.LanguageModel) eval.TaskResult {
		res, err := eval.Evaluate(context.Background(), lm, []eval.Task{task}, eval.Options{Shots: []int{2}})
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	want := evaluate(direct)
	answered := 0
	for _, s := range want.Samples {
		if s.Responses[0].(eval.GenerateResult).Text != "" {
			answered++
		}
	}
	if answered == 0 {
		t.Fatal("the decoder answered no document: the comparison would prove nothing")
	}
	for _, multi := range []bool{false, true} {
		lm, err := apilm.Open(context.Background(), apilm.Config{Endpoints: []string{url}, Chat: &apilm.ChatOptions{FewshotAsMultiturn: multi}})
		if err != nil {
			t.Fatal(err)
		}
		got := evaluate(lm)
		if len(got.Samples) != len(want.Samples) {
			t.Fatalf("multi-turn %v: %d samples, want %d", multi, len(got.Samples), len(want.Samples))
		}
		for i, s := range got.Samples {
			g, w := s.Responses[0].(eval.GenerateResult).Text, want.Samples[i].Responses[0].(eval.GenerateResult).Text
			if g != w {
				t.Errorf("multi-turn %v, document %d: chat answered %q, the decoder %q", multi, s.DocID, g, w)
			}
		}
	}
}
