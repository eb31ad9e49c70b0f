package suite

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/suggest"
)

// Decoding is a task's decoding key: the rule its generation requests
// use in place of the task's own, written as a mapping —
// {method: beam, width: 4, length_penalty: 0.6} (the keys of
// eval.DecodingFields) — or as the results file writes a rule,
// "beam(width=4,length_penalty=0.6)". Parse checks it (Rule).
type Decoding struct {
	Fields eval.DecodingFields
	Text   string // the scalar form, "" for a mapping
	// unknown is the first key of the mapping that is not a decoding
	// field, reported by Rule with a did-you-mean.
	unknown string
}

// decodingKeys are the keys of a decoding mapping.
var decodingKeys = []string{"method", "width", "length_penalty", "temperature", "top_k", "top_p", "seed"}

// UnmarshalYAML reads either form; an unknown key is kept for Rule to
// report, so that Parse lists it with the suite's other problems.
func (d *Decoding) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		d.Text = n.Value
		return nil
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i].Value; !containsString(decodingKeys, k) && d.unknown == "" {
				d.unknown = k
			}
		}
	}
	return n.Decode(&d.Fields)
}

// Rule returns the rule d describes, or a one-line error naming the key
// and the fix.
func (d *Decoding) Rule() (eval.Decoding, error) {
	if d.unknown != "" {
		if s := suggest.Closest(d.unknown, decodingKeys); s != "" {
			return eval.Decoding{}, fmt.Errorf("decoding: unknown key %q (did you mean %q?)", d.unknown, s)
		}
		return eval.Decoding{}, fmt.Errorf("decoding: unknown key %q: use %s", d.unknown, strings.Join(decodingKeys, ", "))
	}
	if d.Text != "" {
		return eval.ParseDecoding(d.Text)
	}
	return d.Fields.Decoding()
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// taskKeys are the keys of a task entry (Task's yaml tags).
var taskKeys = []string{"name", "data", "limit", "variant", "shots", "rolling_stride", "decoding"}
