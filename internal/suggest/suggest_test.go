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
