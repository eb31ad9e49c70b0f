package tasks

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/sharedtest"
)

type glueHub struct {
	Sentence string `parquet:"sentence"`
	Label    int64  `parquet:"label"`
	Idx      int32  `parquet:"idx"`
}

func choice(lps ...float64) eval.ChoiceResult {
	r := eval.ChoiceResult{}
	for i := 0; i < len(lps); i += 2 {
		r.Options = append(r.Options, eval.LoglikelihoodResult{LogProb: lps[i], Tokens: int(lps[i+1])})
	}
	return r
}

func TestGPT1Probes(t *testing.T) {
	sst := writeParquetRows(t, "validation-00000-of-00001.parquet", []glueHub{{"it 's a charming and often affecting journey . ", 1, 0}})
	sstTSV := writeFile(t, "dev.tsv", "sentence\tlabel\nunflinchingly bleak and desperate \t0\n")
	race := writeFile(t, "race.jsonl", `{"example_id": "m1", "article": "Tom has a red ball. ", "question": "What color is the ball?", "options": ["red", "blue", "green", "all of the above"], "answer": "A"}`+"\n")
	wsc := writeFile(t, "wsc.jsonl", `{"text": "The trophy doesn't fit into the brown suitcase because it is too large.", "pronoun": "it", "pronoun_loc": 55, "options": ["the trophy", "the suitcase"], "label": 0}`+"\n")
	cases := []struct {
		task, data string
		want       [][2]string
		gold       int
		resp       eval.ChoiceResult
		acc        float64
	}{
		// GPT-1: append " very", compare " positive" and " negative".
		{"gpt1_sst2", sst, shared("it 's a charming and often affecting journey . very", " negative", " positive"), 1, choice(-3, 1, -2, 1), 1},
		{"gpt1_sst2", sstTSV, shared("unflinchingly bleak and desperate very", " negative", " positive"), 0, choice(-3, 1, -2, 1), 0},
		// Average token log-probability: −4 over 2 tokens (−2) beats −3
		// over 1 token (−3), although its total is lower.
		{"gpt1_race", race, shared("Tom has a red ball.\nWhat color is the ball?", " red", " blue", " green", " all of the above"), 0, choice(-4, 2, -3, 1, -9, 1, -20, 4), 1},
		{"gpt1_winograd", wsc, [][2]string{{"The trophy doesn't fit into the brown suitcase because the trophy", " is too large."}, {"The trophy doesn't fit into the brown suitcase because the suitcase", " is too large."}}, 0, choice(-6, 3, -5, 2), 1},
	}
	for _, c := range cases {
		t.Run(c.task, func(t *testing.T) {
			task, err := New(c.task, Options{DataPath: c.data})
			if err != nil {
				t.Fatal(err)
			}
			in, err := task.Instances(0, 1)
			if err != nil {
				t.Fatal(err)
			}
			if got := options(t, in[0].Requests[0]); !reflect.DeepEqual(got, c.want) {
				t.Errorf("options\n got %q\nwant %q", got, c.want)
			}
			if g := in[0].Doc.(gpt1Doc).Gold; g != c.gold {
				t.Errorf("gold %d, want %d", g, c.gold)
			}
			s, err := task.Score(in[0], []eval.Response{c.resp})
			if err != nil || s["acc"][0] != c.acc {
				t.Errorf("acc %v (%v), want %v", s["acc"], err, c.acc)
			}
			if _, err := task.Instances(1, 1); err == nil || !strings.Contains(err.Error(), "zero-shot") {
				t.Errorf("1-shot: %v", err)
			}
		})
	}
	// The shared WSC273 file: the first schema's two substitutions.
	in := instances(t, "gpt1_winograd", Options{DataPath: sharedtest.Path(t, "data/wsc/llmfoundry_winograd_wsc273.jsonl")}, 0)
	if len(in) != 273 || options(t, in[0].Requests[0])[1] != [2]string{"The city councilmen refused the demonstrators a permit because the demonstrators", " feared violence."} {
		t.Errorf("%d schemas; first %q", len(in), options(t, in[0].Requests[0]))
	}
}

func TestGPT1CoLA(t *testing.T) {
	p := writeFile(t, "cola.jsonl", `{"sentence": "The sailors rode the breeze clear of the rocks.", "label": 1}`+"\n"+
		`{"sentence": "The more we study verbs, the crazier they get.", "label": 1}`+"\n"+
		`{"sentence": "They drank the pub.", "label": 0}`+"\n"+
		`{"sentence": "Day by day the facts are getting murkier.", "label": 0}`+"\n")
	task, err := New("gpt1_cola", Options{DataPath: p})
	if err != nil {
		t.Fatal(err)
	}
	in, _ := task.Instances(0, 1)
	if r := in[2].Requests[0]; r != (eval.Loglikelihood{Context: "", Continuation: "They drank the pub."}) {
		t.Errorf("request %#v", r)
	}
	// Average token log-probabilities −2.01, −2.51 (acceptable), −4.01,
	// −1.01 (unacceptable). By hand: predicting the top three acceptable
	// gives TP 2 FP 1 TN 1 FN 0, MCC 2/√12, accuracy 3/4; no other
	// threshold does better (top one: −1; top two: 0).
	avg := []float64{-2.01, -2.51, -4.01, -1.01}
	var sum []float64
	for i, a := range avg {
		s, err := task.Score(in[i], []eval.Response{eval.LoglikelihoodResult{LogProb: 4 * a, Tokens: 4}})
		if err != nil {
			t.Fatal(err)
		}
		if sum == nil {
			sum = make([]float64, len(s["oracle_mcc"]))
		}
		for j, v := range s["oracle_mcc"] {
			sum[j] += v
		}
	}
	m := task.Spec().Metrics
	if len(m) != 2 || m[0].Name != "oracle_mcc" || m[1].Name != "oracle_acc" {
		t.Fatalf("metrics %+v", m)
	}
	if got := m[0].Score(sum); math.Abs(got-2/math.Sqrt(12)) > 1e-12 {
		t.Errorf("oracle_mcc %v, want %v", got, 2/math.Sqrt(12))
	}
	if got := m[1].Score(sum); got != 0.75 {
		t.Errorf("oracle_acc %v, want 0.75", got)
	}
	bad := writeFile(t, "bad.jsonl", `{"sentence": "x", "label": -1}`+"\n")
	if _, err := New("gpt1_cola", Options{DataPath: bad}); err == nil || !strings.Contains(err.Error(), "bad.jsonl:1") {
		t.Errorf("unlabelled test row: %v", err)
	}
	badRace := writeFile(t, "r.jsonl", `{"article": "a", "question": "q", "options": ["x", "y"], "answer": "C"}`+"\n")
	if _, err := New("gpt1_race", Options{DataPath: badRace}); err == nil || !strings.Contains(err.Error(), "answer") {
		t.Errorf("answer out of range: %v", err)
	}
}
