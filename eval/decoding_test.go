package eval

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestDecodingValidate(t *testing.T) {
	for _, c := range []struct {
		d    Decoding
		want string // "" = valid; else a substring of the error
	}{
		{Decoding{}, ""},
		{Decoding{Method: DecodeGreedy}, ""},
		{Decoding{Method: DecodeBeam, BeamWidth: 4, LengthPenalty: 0.6}, ""},
		{Decoding{Method: DecodeSample, Temperature: 1, TopK: 2, TopP: 1, Seed: 7}, ""},
		{Decoding{Method: DecodeBeam, BeamWidth: 0}, "beam width 0"},
		{Decoding{Method: DecodeBeam, BeamWidth: 4, LengthPenalty: -1}, "length penalty -1"},
		{Decoding{Method: DecodeSample, Temperature: -0.5, TopP: 1}, "temperature -0.5"},
		{Decoding{Method: DecodeSample, Temperature: 0, TopP: 1}, "temperature 0"},
		{Decoding{Method: DecodeSample, Temperature: 1, TopK: -1, TopP: 1}, "top-k -1 is out of range: use 1 or more (leave top-k out for no cut)"},
		{Decoding{Method: DecodeSample, Temperature: 1, TopP: 0}, "top-p 0"},
		{Decoding{Method: DecodeSample, Temperature: 1, TopP: 1.5}, "top-p 1.5"},
		{Decoding{TopK: 3}, "greedy decoding takes no"},
		{Decoding{Method: "nucleus"}, `unknown method "nucleus"`},
	} {
		err := c.d.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v: unexpected error %v", c.d, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%+v: error %v, want one containing %q", c.d, err, c.want)
		}
	}
}

func TestDecodingString(t *testing.T) {
	for _, c := range []struct {
		d    Decoding
		want string
	}{
		{Decoding{}, "greedy"},
		{Decoding{Method: DecodeBeam, BeamWidth: 4, LengthPenalty: 0.6}, "beam(width=4,length_penalty=0.6)"},
		{Decoding{Method: DecodeSample, Temperature: 1, TopK: 2, TopP: 1, Seed: 1234}, "sample(temperature=1,top_k=2,top_p=1,seed=1234)"},
	} {
		if got := c.d.String(); got != c.want {
			t.Errorf("%+v: String() = %q, want %q", c.d, got, c.want)
		}
	}
}

// A greedy request's JSON (the cache key) and hash must not change with the
// new field; a non-greedy one must differ from the greedy one.
func TestDecodingLeavesGreedyRequestsAlone(t *testing.T) {
	g := Generate{Context: "Q: 1+1=\nA:", Until: []string{"\n"}, MaxTokens: 5}
	b, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"Context":"Q: 1+1=\nA:","Until":["\n"],"MaxTokens":5,"Exclude":null}`
	if string(b) != want {
		t.Errorf("greedy request JSON = %s, want %s", b, want)
	}
	s := g
	s.Decoding = Decoding{Method: DecodeSample, Temperature: 1, TopK: 2, TopP: 1, Seed: 1}
	if InstanceHash(Instance{Requests: []Request{g}}) == InstanceHash(Instance{Requests: []Request{s}}) {
		t.Error("a sampled request hashes like the greedy one")
	}
}

// genTask is a generation task of three documents whose requests use one
// decoding rule.
type genTask struct{ dec Decoding }

func (t genTask) Spec() TaskSpec {
	return TaskSpec{Name: "gen", Version: "1", Kind: KindGenerate, Metrics: []Metric{Mean("acc", true)}}
}
func (t genTask) Instances(int, uint64) ([]Instance, error) {
	out := make([]Instance, 3)
	for i := range out {
		out[i] = Instance{DocID: i, Requests: []Request{Generate{Context: strings.Repeat("q", i+1), Until: []string{"\n"}, Decoding: t.dec}}}
	}
	return out, nil
}
func (t genTask) Score(Instance, []Response) (map[string][]float64, error) {
	return map[string][]float64{"acc": MeanStats(1)}, nil
}

// TestEvaluateDecoding checks that the runner records a generation
// task's rule, gives an unseeded sampled request the run's seed, and
// refuses a bad rule before any request reaches the model.
func TestEvaluateDecoding(t *testing.T) {
	unseeded := Decoding{Method: DecodeSample, Temperature: 1, TopK: 2, TopP: 1}
	seeded := unseeded
	seeded.Seed = 99
	for _, c := range []struct {
		name     string
		dec      Decoding
		want     string // TaskResult.Decoding
		wantSeed int64  // of the requests the model receives
	}{
		{"greedy", Decoding{}, "greedy", 0},
		{"beam", Decoding{Method: DecodeBeam, BeamWidth: 4, LengthPenalty: 0.6}, "beam(width=4,length_penalty=0.6)", 0},
		{"sampling takes the run's seed", unseeded, "sample(temperature=1,top_k=2,top_p=1,seed=1234)", 1234},
		{"sampling keeps its own seed", seeded, "sample(temperature=1,top_k=2,top_p=1,seed=99)", 99},
	} {
		t.Run(c.name, func(t *testing.T) {
			lm := &answerLM{}
			rs, err := Evaluate(context.Background(), lm, []Task{genTask{c.dec}}, Options{Seed: 1234})
			if err != nil {
				t.Fatal(err)
			}
			if rs[0].Decoding != c.want {
				t.Errorf("recorded rule %q, want %q", rs[0].Decoding, c.want)
			}
			for _, b := range lm.batches {
				for _, r := range b.reqs {
					if s := r.(Generate).Decoding.Seed; s != c.wantSeed {
						t.Errorf("the model got seed %d, want %d", s, c.wantSeed)
					}
				}
			}
		})
	}
	// The task's own instances keep Seed 0 (the runner copies them).
	insts, _ := genTask{unseeded}.Instances(0, 0)
	if _, err := seedDecoding(insts, nil, 7); err != nil || insts[0].Requests[0].(Generate).Decoding.Seed != 7 {
		t.Errorf("seedDecoding: %v, seed %d", err, insts[0].Requests[0].(Generate).Decoding.Seed)
	}
	lm := &answerLM{}
	if rs, _ := Evaluate(context.Background(), lm, []Task{&fakeTask{n: 2}}, Options{}); rs[0].Decoding != "greedy" {
		t.Errorf("a task with one greedy generation per document: rule %q, want greedy", rs[0].Decoding)
	}
	for _, bad := range []struct {
		dec  Decoding
		want string
	}{
		{Decoding{Method: DecodeBeam}, "beam width 0"},
		{Decoding{Method: DecodeSample, Temperature: 1, TopK: -1, TopP: 1}, "top-k -1"},
		{Decoding{Method: DecodeSample, Temperature: 1, TopP: 1.5}, "top-p 1.5"},
		{Decoding{Method: DecodeSample, Temperature: -1, TopP: 1}, "temperature -1"},
	} {
		lm := &answerLM{}
		_, err := Evaluate(context.Background(), lm, []Task{genTask{bad.dec}}, Options{})
		if err == nil || !strings.Contains(err.Error(), bad.want) || !strings.Contains(err.Error(), "task gen") || !strings.Contains(err.Error(), "document 0") {
			t.Errorf("%s: Evaluate error %v, want one naming the task, the document and %q", bad.dec, err, bad.want)
		}
		if len(lm.batches) != 0 {
			t.Errorf("%s: %d batches sent to the model before the refusal", bad.dec, len(lm.batches))
		}
		if err := CheckDecoding(genTask{bad.dec}); err == nil || !strings.Contains(err.Error(), bad.want) || !strings.Contains(err.Error(), "task gen: document 0") {
			t.Errorf("%s: CheckDecoding error %v, want one naming the task, the document and %q", bad.dec, err, bad.want)
		}
	}
	if err := CheckDecoding(genTask{unseeded}); err != nil {
		t.Errorf("CheckDecoding of a valid rule: %v", err)
	}
}

// TestDecodingBadInput checks every bad rule a user can write — a top-k,
// beam width or seed of 0, a top-p outside (0, 1], a temperature below 0
// or of 0, a key the method does not take — gives a one-line error naming
// it, and that the defaults fill what is left out.
func TestDecodingBadInput(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Decoding
		err  string // "" = valid
	}{
		{"greedy", Decoding{Method: DecodeGreedy}, ""},
		{"beam(width=4,length_penalty=0.6)", Decoding{Method: DecodeBeam, BeamWidth: 4, LengthPenalty: 0.6}, ""},
		{"beam(width=2)", Decoding{Method: DecodeBeam, BeamWidth: 2}, ""},
		{"sample(temperature=1,top_k=2,top_p=1,seed=1234)", Decoding{Method: DecodeSample, Temperature: 1, TopK: 2, TopP: 1, Seed: 1234}, ""},
		{"sample(top_k=2)", Decoding{Method: DecodeSample, Temperature: 1, TopK: 2, TopP: 1}, ""},
		{"sample", Decoding{Method: DecodeSample, Temperature: 1, TopP: 1}, ""},
		{" sample( temperature = 0.7 , top_p=0.9 ) ", Decoding{Method: DecodeSample, Temperature: 0.7, TopP: 0.9}, ""},
		{"sample(top_k=0)", Decoding{}, "top-k 0 is out of range: use 1 or more (leave top_k out for no cut)"},
		{"sample(top_k=-3)", Decoding{}, "top-k -3 is out of range"},
		{"beam(width=0)", Decoding{}, "beam width 0 is out of range"},
		{"beam", Decoding{}, "beam search needs a width"},
		{"beam(width=4,length_penalty=-0.5)", Decoding{}, "length penalty -0.5"},
		{"sample(top_p=0)", Decoding{}, "top-p 0 is out of range"},
		{"sample(top_p=1.01)", Decoding{}, "top-p 1.01 is out of range"},
		{"sample(top_p=-1)", Decoding{}, "top-p -1 is out of range"},
		{"sample(temperature=-0.1)", Decoding{}, "temperature -0.1 is out of range"},
		{"sample(temperature=0)", Decoding{}, "temperature 0 is out of range"},
		{"sample(seed=0)", Decoding{}, "seed 0 is not a seed"},
		{"sample(width=4)", Decoding{}, "sampling takes no width"},
		{"beam(width=4,top_k=2)", Decoding{}, "beam search takes no top_k"},
		{"greedy(seed=3)", Decoding{}, "greedy decoding takes no seed"},
		{"nucleus(top_p=0.9)", Decoding{}, `unknown method "nucleus"`},
		{"", Decoding{}, "no method"},
		{"sample(top_k=two)", Decoding{}, "top_k=two is not an integer"},
		{"sample(topk=2)", Decoding{}, `unknown key "topk"`},
		{"sample(top_k=2,top_k=3)", Decoding{}, "top_k is given twice"},
		{"sample(top_k=2", Decoding{}, "want method(key=value,...)"},
	} {
		got, err := ParseDecoding(c.in)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%q: unexpected error %v", c.in, err)
		case c.err == "" && got != c.want:
			t.Errorf("%q: got %+v, want %+v", c.in, got, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: error %v, want one containing %q", c.in, err, c.err)
		case err != nil && strings.Contains(err.Error(), "\n"):
			t.Errorf("%q: error on several lines: %q", c.in, err)
		}
	}
	// The String form of every valid rule reads back as the same rule.
	for _, d := range []Decoding{{Method: DecodeBeam, BeamWidth: 4, LengthPenalty: 0.6},
		{Method: DecodeSample, Temperature: 0.8, TopK: 40, TopP: 0.95, Seed: 7}} {
		if got, err := ParseDecoding(d.String()); err != nil || got != d {
			t.Errorf("ParseDecoding(%q) = %+v, %v; want %+v", d.String(), got, err, d)
		}
	}
}

// TestDecodingOverrideAndSeed checks that a task's Spec().Decoding
// replaces the rule of its requests (and the request hash and recorded
// rule follow), that a bad override is refused before the model sees a
// request, and that a sampled request without a seed in a run whose seed
// is 0 is refused by Evaluate and by CheckDecoding with the run's seeds.
func TestDecodingOverrideAndSeed(t *testing.T) {
	beam := Decoding{Method: DecodeBeam, BeamWidth: 4, LengthPenalty: 0.6}
	lm := &answerLM{}
	rs, err := Evaluate(context.Background(), lm, []Task{overTask{genTask{}, &beam}}, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Decoding != "beam(width=4,length_penalty=0.6)" {
		t.Errorf("recorded rule %q, want the override's", rs[0].Decoding)
	}
	for _, b := range lm.batches {
		for _, r := range b.reqs {
			if d := r.(Generate).Decoding; d != beam {
				t.Errorf("the model got rule %v, want %v", d, beam)
			}
		}
	}
	plain, _ := Evaluate(context.Background(), &answerLM{}, []Task{genTask{}}, Options{Seed: 1})
	if plain[0].RequestHash == rs[0].RequestHash {
		t.Error("the override leaves the request hash as the greedy one")
	}
	bad := Decoding{Method: DecodeBeam}
	lm = &answerLM{}
	if _, err := Evaluate(context.Background(), lm, []Task{overTask{genTask{}, &bad}}, Options{Seed: 1}); err == nil || !strings.Contains(err.Error(), "beam width 0") {
		t.Errorf("bad override: error %v, want the beam width's", err)
	}
	if len(lm.batches) != 0 {
		t.Errorf("bad override: %d batches sent", len(lm.batches))
	}
	if err := CheckDecoding(overTask{genTask{}, &bad}); err == nil || !strings.Contains(err.Error(), "beam width 0") {
		t.Errorf("CheckDecoding of a bad override: %v", err)
	}

	unseeded := Decoding{Method: DecodeSample, Temperature: 1, TopP: 1}
	lm = &answerLM{}
	_, err = Evaluate(context.Background(), lm, []Task{genTask{unseeded}}, Options{Seed: 0})
	if err == nil || !strings.Contains(err.Error(), "sampling without a seed") || !strings.Contains(err.Error(), "document 0") {
		t.Errorf("unseeded sampling in a seed-0 run: error %v", err)
	}
	if len(lm.batches) != 0 {
		t.Errorf("unseeded sampling: %d batches sent", len(lm.batches))
	}
	if err := CheckDecoding(genTask{unseeded}, 1234, 0); err == nil || !strings.Contains(err.Error(), "task gen: document 0: decoding: sampling without a seed") {
		t.Errorf("CheckDecoding with seeds 1234, 0: %v", err)
	}
	if err := CheckDecoding(genTask{unseeded}, 1234); err != nil {
		t.Errorf("CheckDecoding with seed 1234: %v", err)
	}
	seeded := unseeded
	seeded.Seed = 5
	if err := CheckDecoding(genTask{seeded}, 0); err != nil {
		t.Errorf("a rule with its own seed in a seed-0 run: %v", err)
	}
}

// overTask is a task whose Spec carries a decoding override.
type overTask struct {
	genTask
	over *Decoding
}

func (t overTask) Spec() TaskSpec {
	s := t.genTask.Spec()
	s.Decoding = t.over
	return s
}
