// Package suggest finds the nearest known name to a misspelt one, for
// "did you mean" hints in error messages. Every did-you-mean in kshot goes
// through Closest, so that the hints follow one rule.
package suggest

import "strings"

// Distance is the Levenshtein distance between a and b, in bytes.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Closest returns the candidate nearest to s, or "" when none is near
// enough to be worth suggesting. Case is ignored. A candidate's distance
// is the smaller of its edit distance to s and, for names made of parts
// joined by "_", one more than the edit distance from s to a leading run
// of its parts (so "lambda" finds "lambada_openai"); a candidate that
// starts with s (three bytes or more) is at distance 1. It is near enough
// within 1 edit for s of up to 4 bytes, 2 up to 12 bytes, 3 beyond. Ties
// go to the shorter candidate, then to the first in sorted order.
func Closest(s string, candidates []string) string {
	ls := strings.ToLower(s)
	best, bestD := "", -1
	for _, c := range candidates {
		d := distance(ls, strings.ToLower(c))
		if bestD < 0 || d < bestD || d == bestD && (len(c) < len(best) || len(c) == len(best) && c < best) {
			best, bestD = c, d
		}
	}
	limit := 3
	switch {
	case len(s) <= 4:
		limit = 1
	case len(s) <= 12:
		limit = 2
	}
	if bestD < 0 || bestD > limit {
		return ""
	}
	return best
}

// distance is Closest's distance from s to candidate c, both lower-case.
func distance(s, c string) int {
	d := Distance(s, c)
	if len(s) >= 3 && strings.HasPrefix(c, s) {
		d = min(d, 1)
	}
	for i := 0; i < len(c); i++ {
		if c[i] == '_' && i > 0 {
			d = min(d, Distance(s, c[:i])+1)
		}
	}
	return d
}
