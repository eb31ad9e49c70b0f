package tasks

import (
	"math"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/eval/sacrebleu"
)

func TestSynthRegistered(t *testing.T) {
	for _, n := range SynthSuite {
		t.Run(n, func(t *testing.T) {
			task, err := New(n, Options{})
			if err != nil {
				t.Fatal(err)
			}
			insts, err := task.Instances(0, 1)
			if err != nil || len(insts) == 0 {
				t.Fatalf("%d instances, %v", len(insts), err)
			}
			_, err = task.Instances(1, 1)
			if SynthFewShot(n) != (err == nil) {
				t.Errorf("1-shot error %v, SynthFewShot %v", err, SynthFewShot(n))
			}
			if _, err := New(n, Options{DataPath: "x.jsonl"}); err == nil {
				t.Error("--data accepted")
			}
		})
	}
}

// TestSynthPrompts checks the k-shot prompt layout against prompts
// written out by hand from the documents.
func TestSynthPrompts(t *testing.T) {
	task, _ := New("synth_arithmetic", Options{})
	st := task.(*synthKShot)
	insts, err := task.Instances(2, 7)
	if err != nil {
		t.Fatal(err)
	}
	picks, _ := eval.SampleFewShot(len(st.pool), 2, -1, 7, 3)
	e0, e1, d := st.pool[picks[0]], st.pool[picks[1]], st.docs[3]
	want := e0.Text + " " + e0.Target + "\n" + e1.Text + " " + e1.Target + "\n" + d.Text
	got := insts[3].Requests[0].(eval.Loglikelihood)
	if got.Context != want || got.Continuation != " "+d.Target {
		t.Errorf("prompt %q + %q, want %q + %q", got.Context, got.Continuation, want, " "+d.Target)
	}

	tr, _ := New("synth_translate", Options{})
	insts, err = tr.Instances(1, 7)
	if err != nil {
		t.Fatal(err)
	}
	g := insts[0].Requests[0].(eval.Generate)
	lines := strings.Split(g.Context, "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[1], " =") || !strings.Contains(lines[0], " = lo ") || g.Until[0] != "\n" {
		t.Errorf("translation prompt %q", g.Context)
	}

	// A perfect translation scores BLEU 100; an empty one 0.
	s, err := tr.Score(insts[0], []eval.Response{eval.GenerateResult{Text: " " + insts[0].Target + "\n"}})
	if err != nil {
		t.Fatal(err)
	}
	if b := eval.BLEUMetric(sacrebleu.BLEUOptions{}).Score(s["bleu"]); math.Abs(b-100) > 1e-9 {
		t.Errorf("perfect translation scores BLEU %v", b)
	}

	cbt, _ := New("synth_cbt", Options{})
	insts, _ = cbt.Instances(0, 1)
	mc := insts[0].Requests[0].(eval.MultipleChoice)
	if len(mc.Options) != 10 {
		t.Fatalf("%d options", len(mc.Options))
	}
	doc := insts[0].Doc.(choiceDoc)
	if !strings.Contains(mc.Options[doc.Gold].Context, strings.Fields(mc.Options[doc.Gold].Continuation)[1]+" had the ") {
		t.Errorf("gold option %q does not name a character of the passage", mc.Options[doc.Gold].Continuation)
	}
}
