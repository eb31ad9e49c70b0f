package eval

import (
	"fmt"
	"strconv"
	"strings"
)

// DecodingFields is a decoding rule as a user writes it — a suite's
// per-task decoding key or, through ParseDecoding, kshot run's --decoding
// value — each field nil when left out, so that a value written as 0 can
// be told from one not written. Decoding turns it into a Decoding with the
// defaults below; the keys are those of Decoding.String.
type DecodingFields struct {
	Method        string   `yaml:"method"` // "greedy", "beam" or "sample"
	Width         *int     `yaml:"width"`  // beam: required, 1 or more
	LengthPenalty *float64 `yaml:"length_penalty"`
	Temperature   *float64 `yaml:"temperature"` // sample: default 1
	TopK          *int     `yaml:"top_k"`       // sample: default no cut; 0 is refused
	TopP          *float64 `yaml:"top_p"`       // sample: default 1 (no cut)
	Seed          *int64   `yaml:"seed"`        // sample: default the run's seed; 0 is refused
}

// Decoding returns the rule f describes, or a one-line error naming the
// field and the fix. Beam search needs a width; its length penalty α
// defaults to 0 (hypotheses ranked by log-probability alone; the GPT-3
// paper uses 0.6). Sampling defaults to temperature 1, no top-k cut, top-p
// 1 and the run's seed; a top_k or seed written as 0 is refused (leave the
// key out instead), as is any key the method does not take.
func (f DecodingFields) Decoding() (Decoding, error) {
	var d Decoding
	given := func(names ...string) []string {
		var out []string
		for _, n := range names {
			switch {
			case n == "width" && f.Width != nil, n == "length_penalty" && f.LengthPenalty != nil,
				n == "temperature" && f.Temperature != nil, n == "top_k" && f.TopK != nil,
				n == "top_p" && f.TopP != nil, n == "seed" && f.Seed != nil:
				out = append(out, n)
			}
		}
		return out
	}
	refuse := func(what string, keys []string) error {
		return fmt.Errorf("decoding: %s takes no %s (drop it)", what, strings.Join(keys, ", "))
	}
	switch f.Method {
	case "":
		return d, fmt.Errorf("decoding: no method: use %s, %s or %s", DecodeGreedy, DecodeBeam, DecodeSample)
	case DecodeGreedy:
		if k := given("width", "length_penalty", "temperature", "top_k", "top_p", "seed"); len(k) > 0 {
			return d, refuse("greedy decoding", k)
		}
		d.Method = DecodeGreedy
	case DecodeBeam:
		if k := given("temperature", "top_k", "top_p", "seed"); len(k) > 0 {
			return d, refuse("beam search", k)
		}
		if f.Width == nil {
			return d, fmt.Errorf("decoding: beam search needs a width (the GPT-3 paper uses 4)")
		}
		d.Method, d.BeamWidth = DecodeBeam, *f.Width
		if f.LengthPenalty != nil {
			d.LengthPenalty = *f.LengthPenalty
		}
	case DecodeSample:
		if k := given("width", "length_penalty"); len(k) > 0 {
			return d, refuse("sampling", k)
		}
		d.Method, d.Temperature, d.TopP = DecodeSample, 1, 1
		if f.Temperature != nil {
			d.Temperature = *f.Temperature
		}
		if f.TopK != nil {
			if *f.TopK == 0 {
				return d, fmt.Errorf("decoding: top-k 0 is out of range: use 1 or more (leave top_k out for no cut)")
			}
			d.TopK = *f.TopK
		}
		if f.TopP != nil {
			d.TopP = *f.TopP
		}
		if f.Seed != nil {
			if *f.Seed == 0 {
				return d, fmt.Errorf("decoding: seed 0 is not a seed: use another value (leave seed out for the run's --seed)")
			}
			d.Seed = *f.Seed
		}
	default:
		return d, fmt.Errorf("decoding: unknown method %q: use %s, %s or %s", f.Method, DecodeGreedy, DecodeBeam, DecodeSample)
	}
	if err := d.Validate(); err != nil {
		return Decoding{}, err
	}
	return d, nil
}

// ParseDecoding parses a rule written as Decoding.String writes it —
// "greedy", "beam(width=4,length_penalty=0.6)",
// "sample(temperature=0.7,top_k=40,seed=5)" — with DecodingFields's
// defaults for the keys left out, so that a rule copied from a results
// file reads back as the same rule.
func ParseDecoding(s string) (Decoding, error) {
	f := DecodingFields{Method: strings.TrimSpace(s)}
	if open := strings.IndexByte(s, '('); open >= 0 {
		if !strings.HasSuffix(strings.TrimSpace(s), ")") {
			return Decoding{}, fmt.Errorf("decoding %q: want method(key=value,...), e.g. beam(width=4,length_penalty=0.6)", s)
		}
		f.Method = strings.TrimSpace(s[:open])
		body := strings.TrimSuffix(strings.TrimSpace(s[open+1:]), ")")
		seen := map[string]bool{}
		for _, kv := range strings.Split(body, ",") {
			kv = strings.TrimSpace(kv)
			if kv == "" {
				continue
			}
			k, v, ok := strings.Cut(kv, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || v == "" {
				return Decoding{}, fmt.Errorf("decoding %q: %q is not key=value", s, kv)
			}
			if seen[k] {
				return Decoding{}, fmt.Errorf("decoding %q: %s is given twice", s, k)
			}
			seen[k] = true
			if err := f.set(k, v); err != nil {
				return Decoding{}, fmt.Errorf("decoding %q: %w", s, err)
			}
		}
	}
	d, err := f.Decoding()
	if err != nil {
		return Decoding{}, fmt.Errorf("%q: %w", s, err)
	}
	return d, nil
}

// set parses one key=value of ParseDecoding.
func (f *DecodingFields) set(k, v string) error {
	num := func() (float64, error) {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, fmt.Errorf("%s=%s is not a number", k, v)
		}
		return x, nil
	}
	integer := func() (int64, error) {
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s=%s is not an integer", k, v)
		}
		return x, nil
	}
	switch k {
	case "width", "top_k":
		x, err := integer()
		if err != nil {
			return err
		}
		n := int(x)
		if k == "width" {
			f.Width = &n
		} else {
			f.TopK = &n
		}
	case "seed":
		x, err := integer()
		if err != nil {
			return err
		}
		f.Seed = &x
	case "length_penalty", "temperature", "top_p":
		x, err := num()
		if err != nil {
			return err
		}
		switch k {
		case "length_penalty":
			f.LengthPenalty = &x
		case "temperature":
			f.Temperature = &x
		default:
			f.TopP = &x
		}
	default:
		return fmt.Errorf("unknown key %q: use width, length_penalty (beam) or temperature, top_k, top_p, seed (sample)", k)
	}
	return nil
}
