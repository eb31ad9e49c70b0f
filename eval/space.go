package eval

import "unicode"

// isSpace reports whether r is whitespace as Python's str.isspace sees it
// (Unicode White_Space plus the separators U+001C–U+001F), the definition
// lm-evaluation-harness's string handling relies on.
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}
