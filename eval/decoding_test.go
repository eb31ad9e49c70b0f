package eval

import (
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
		{Decoding{Method: DecodeSample, Temperature: 1, TopK: -1, TopP: 1}, "top-k -1"},
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
