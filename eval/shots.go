package eval

import "fmt"

// ShotsMax, given to Task.Instances as k, asks for as many few-shot
// examples as fit in the model's context window, the way the GPT-3 paper
// chose K ("as many as fit in n_ctx"). A task that supports it is a
// WindowedTask; the caller sets the window with SetContextWindow first.
//
// The examples of a document are then the longest prefix of the document's
// seeded draw (the same draw SampleFewShot makes, so the first k of them
// are the k-shot examples) whose whole prompt, counted in the model's
// tokens, leaves room for the longest continuation or the generation
// budget.
const ShotsMax = -1

// ShotsLabel formats a shot count for keys and messages: "max" for
// ShotsMax, the number otherwise.
func ShotsLabel(k int) string {
	if k == ShotsMax {
		return "max"
	}
	return fmt.Sprint(k)
}

// ContextWindow is what a task needs to pack ShotsMax examples: the
// model's window and a way to count tokens as the model does.
type ContextWindow struct {
	Tokens int                   // context window of the model, tokens
	Count  func(text string) int // number of tokens of text (no end-of-text token added)
}

// WindowedTask is a Task that supports ShotsMax. SetContextWindow must be
// called before Instances(ShotsMax, seed); without it Instances returns an
// error.
type WindowedTask interface {
	Task
	SetContextWindow(w ContextWindow)
}

// TokenCounter is implemented by language models that can count the tokens
// of a text exactly (TokenLM does).
type TokenCounter interface {
	CountTokens(text string) int
}

// CountTokens returns the number of tokens of text in the model's
// tokenizer, so that tasks can fill the context window (ShotsMax).
func (m *TokenLM) CountTokens(text string) int { return len(m.tok.Encode(text)) }

// WindowOf returns the context window of lm: Info().MaxLength tokens,
// counted with lm's CountTokens when lm is a TokenCounter, else by
// ApproxTokens, an upper bound for byte-level tokenizers (GPT-2's, whose
// every token covers at least one byte), so the prompt always fits but may
// hold fewer examples than would.
func WindowOf(lm LanguageModel) ContextWindow {
	w := ContextWindow{Tokens: lm.Info().MaxLength, Count: ApproxTokens}
	if tc, ok := lm.(TokenCounter); ok {
		w.Count = tc.CountTokens
	}
	return w
}

// ApproxTokens bounds the token count of text from above by its length
// in UTF-8 bytes.
func ApproxTokens(text string) int { return len(text) }

// SetContextWindow gives t the window of lm (see WindowOf) when t is a
// WindowedTask and does nothing otherwise.
func SetContextWindow(t Task, lm LanguageModel) {
	if wt, ok := t.(WindowedTask); ok {
		wt.SetContextWindow(WindowOf(lm))
	}
}

// CheckShots reports whether t can be evaluated with k examples: k must be
// non-negative, or ShotsMax for a WindowedTask.
func CheckShots(t Task, k int) error {
	switch {
	case k >= 0:
		return nil
	case k == ShotsMax:
		if _, ok := t.(WindowedTask); !ok {
			return fmt.Errorf("task %s does not support --shots max (give a number of examples)", t.Spec().Name)
		}
		return nil
	}
	return fmt.Errorf("task %s: %d examples is not a valid shot count", t.Spec().Name, k)
}
