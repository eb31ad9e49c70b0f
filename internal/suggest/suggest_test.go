package suggest

import "testing"

func TestDistance(t *testing.T) {
	// Hand-counted: kitten→sitting is 3 edits (k→s, e→i, +g).
	for _, c := range []struct {
		a, b string
		want int
	}{{"kitten", "sitting", 3}, {"", "abc", 3}, {"lambda", "lambada", 1}, {"same", "same", 0}, {"ab", "ba", 2}} {
		if got := Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestClosest(t *testing.T) {
	tasks := []string{"arc_easy", "lambada_openai", "lambada_openai_cloze", "lambada_standard", "wikitext2", "wikitext103"}
	for _, c := range []struct {
		s          string
		candidates []string
		want       string
	}{
		// STYLE.md's example: "lambda" is 1 edit from the part "lambada".
		{"lambda", tasks, "lambada_openai"},
		{"lambda_openai", tasks, "lambada_openai"},
		{"wikitext", tasks, "wikitext2"}, // a prefix of two names: the shorter
		{"ARC_EASY", tasks, "arc_easy"},  // case is ignored
		{"hellaswag", tasks, ""},         // nothing near
		{"gpt3-typo", []string{"default"}, ""},
		{"gpt-neo", []string{"gpt2", "gpt_neo", "openai-gpt"}, "gpt_neo"},
		{"txt", []string{"text", "label"}, "text"},
		{"ab", []string{"xy"}, ""}, // 2 edits are too many for a short name
		{"x", nil, ""},
	} {
		if got := Closest(c.s, c.candidates); got != c.want {
			t.Errorf("Closest(%q, %q) = %q, want %q", c.s, c.candidates, got, c.want)
		}
	}
}
