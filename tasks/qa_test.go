package tasks

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
)

type tqaAnswer struct {
	Value   string   `parquet:"value"`
	Aliases []string `parquet:"aliases,list"`
}

type tqaHub struct {
	Question   string    `parquet:"question"`
	QuestionID string    `parquet:"question_id"`
	Answer     tqaAnswer `parquet:"answer"`
}

func TestQAPrompts(t *testing.T) {
	tqa := writeParquetRows(t, "validation-00000-of-00001.parquet", []tqaHub{
		{"Who painted Guernica?", "q1", tqaAnswer{"Pablo Picasso", []string{"Picasso", "Pablo Picasso"}}},
		{"Which planet is red?", "q2", tqaAnswer{"Mars", []string{"Mars", "The Red Planet"}}},
	})
	nq := writeFile(t, "nq.jsonl", `{"question": "who wrote hamlet", "answer": ["William Shakespeare", "Shakespeare"]}`+"\n"+
		`{"question": "capital of france", "answer": ["Paris"]}`+"\n")
	cases := []struct {
		task, variant, data string
		k                   int
		doc                 int
		want                eval.Generate
	}{
		{"triviaqa", "", tqa, 0, 0, eval.Generate{Context: "Question: Who painted Guernica??\nAnswer:", Until: []string{"\n", ".", ","}}},
		{"triviaqa", "", tqa, 1, 0, eval.Generate{Context: "Question: Which planet is red??\nAnswer: Mars\n\nQuestion: Who painted Guernica??\nAnswer:", Until: []string{"\n", ".", ","}}},
		{"triviaqa", "gpt3", tqa, 1, 1, eval.Generate{Context: "Q: Who painted Guernica?\nA: Picasso\n\nQ: Which planet is red?\nA:", Until: []string{"\n"}, MaxTokens: qaMaxTokens, Decoding: eval.Decoding{Method: "beam", BeamWidth: 4, LengthPenalty: 0.6}}},
		{"nq_open", "", nq, 1, 0, eval.Generate{Context: "Answer these questions:\n\nQ: capital of france?\nA: Paris\nQ: who wrote hamlet?\nA:", Until: []string{"\n", ".", ","}}},
		{"nq_open", "gpt3", nq, 0, 1, eval.Generate{Context: "Q: capital of france?\nA:", Until: []string{"\n"}, MaxTokens: qaMaxTokens, Decoding: eval.Decoding{Method: "beam", BeamWidth: 4, LengthPenalty: 0.6}}},
	}
	for _, c := range cases {
		t.Run(c.task+"/"+c.variant, func(t *testing.T) {
			in := instances(t, c.task, Options{DataPath: c.data, Variant: c.variant}, c.k)
			if got := withoutParts(t, in[c.doc].Requests[0]); !reflect.DeepEqual(got, c.want) {
				t.Errorf("request\n got %#v\nwant %#v", got, c.want)
			}
		})
	}
	// The answer value joins the aliases when it is not among them.
	in := instances(t, "triviaqa", Options{DataPath: tqa}, 0)
	if got := in[1].Doc.(qaDoc).Answers; !reflect.DeepEqual(got, []string{"Mars", "The Red Planet"}) {
		t.Errorf("answers %q", got)
	}
}

func TestQAScore(t *testing.T) {
	nq := writeFile(t, "nq.jsonl", `{"question": "q", "answer": ["The Beatles", "U.S. Army"]}`+"\n")
	tqa := writeFile(t, "t.jsonl", `{"question": "q", "answer": {"value": "The Beatles", "aliases": ["The Beatles", "Beatles"]}}`+"\n")
	cases := []struct {
		task, variant, data, gen string
		want                     float64
	}{
		// lm-evaluation-harness: leading whitespace removed, case and ASCII
		// punctuation ignored; NQ also drops articles.
		{"triviaqa", "", tqa, " the beatles", 1},
		{"triviaqa", "", tqa, " Beatles!", 1},
		{"triviaqa", "", tqa, " Beatles ", 0}, // a trailing space stays
		{"nq_open", "", nq, " Beatles", 1},
		{"nq_open", "", nq, " US Army", 1},
		{"nq_open", "", nq, " the US Army", 1},
		{"nq_open", "", nq, " Army", 0},
		// GPT-3 variant: SQuAD normalisation (articles, punctuation,
		// whitespace).
		{"triviaqa", "gpt3", tqa, " beatles ", 1},
		{"triviaqa", "gpt3", tqa, "A Beatles.", 1},
		{"nq_open", "gpt3", nq, "us army", 1},
		{"nq_open", "gpt3", nq, "the rolling stones", 0},
	}
	for _, c := range cases {
		task, err := New(c.task, Options{DataPath: c.data, Variant: c.variant})
		if err != nil {
			t.Fatal(err)
		}
		in, _ := task.Instances(0, 1)
		s, err := task.Score(in[0], []eval.Response{eval.GenerateResult{Text: c.gen}})
		if err != nil || s["exact_match"][0] != c.want {
			t.Errorf("%s/%s: %q scores %v (%v), want %v", c.task, c.variant, c.gen, s, err, c.want)
		}
	}
	bad := writeFile(t, "bad.jsonl", `{"question": "q", "answer": {"value": "", "aliases": [" "]}}`+"\n")
	if _, err := New("triviaqa", Options{DataPath: bad}); err == nil || !strings.Contains(err.Error(), "bad.jsonl:1") {
		t.Errorf("no answer: %v", err)
	}
}

func TestLambadaCloze(t *testing.T) {
	p := writeFile(t, "l.jsonl", `{"text": "Alice was friends with Bob. Alice went to visit her friend Bob"}`+"\n"+
		`{"text": "George bought a ball, a glove, and a bat"}`+"\n")
	cases := []struct {
		variant string
		k       int
		want    eval.Loglikelihood
	}{
		// lm-evaluation-harness's lambada_openai_cloze_yaml.
		{"", 0, eval.Loglikelihood{Context: "Alice was friends with Bob. Alice went to visit her friend ____. ->", Continuation: " Bob"}},
		{"", 1, eval.Loglikelihood{Context: "George bought a ball, a glove, and a ____. ->  bat\n\nAlice was friends with Bob. Alice went to visit her friend ____. ->", Continuation: " Bob"}},
		// GPT-3 §3.1.2 and Figure G.21: "Fill in blank: … ____. -> Bob"
		// with one space.
		{"gpt3", 1, eval.Loglikelihood{Context: "Fill in blank: George bought a ball, a glove, and a ____. -> bat\n\nAlice was friends with Bob. Alice went to visit her friend ____. ->", Continuation: " Bob"}},
	}
	for _, c := range cases {
		in := instances(t, "lambada_openai_cloze", Options{DataPath: p, Variant: c.variant}, c.k)
		if got := in[0].Requests[0]; got != c.want {
			t.Errorf("%s %d-shot:\n got %#v\nwant %#v", c.variant, c.k, got, c.want)
		}
	}
	task, _ := New("lambada_openai_cloze", Options{DataPath: p})
	in, _ := task.Instances(0, 1)
	s, _ := task.Score(in[0], []eval.Response{eval.LoglikelihoodResult{LogProb: -2.5, Greedy: true, Tokens: 1}})
	if !reflect.DeepEqual(s, map[string][]float64{"perplexity": {-2.5, 1}, "acc": {1, 1}}) {
		t.Errorf("stats %v", s)
	}
	if v := task.Spec().Version; v != "1.0-lm-eval" {
		t.Errorf("version %q", v)
	}
}

func TestWMTGPT3Variant(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "newstest2014-fren-src.fr.sgm")
	os.WriteFile(src, []byte(sgmSrc), 0o644)
	os.WriteFile(filepath.Join(dir, "newstest2014-fren-ref.en.sgm"), []byte(sgmRef), 0o644)
	in := instances(t, "wmt14_fr_en", Options{DataPath: src, Variant: WMTVariantGPT3}, 0)
	if g := in[0].Requests[0].(eval.Generate); g.Context != "Q: What is the English translation of Bonjour le monde.\nA:" {
		t.Errorf("zero-shot context %q", g.Context)
	}
	in = instances(t, "wmt14_fr_en", Options{DataPath: src, Variant: WMTVariantGPT3}, 1)
	if g := in[0].Requests[0].(eval.Generate); g.Context != "Le chat dort. = The cat sleeps.\n\nBonjour le monde. =" {
		t.Errorf("one-shot context %q", g.Context)
	}
	task, _ := New("wmt14_fr_en", Options{DataPath: src, Variant: WMTVariantGPT3})
	if v := task.Spec().Version; v != "1.1-gpt3" {
		t.Errorf("version %q", v)
	}
}
