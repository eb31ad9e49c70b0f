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
	// Approx is set when Count is only an upper bound (ApproxTokens):
	// such a window still packs ShotsMax, but a fixed k is never refused
	// on its count (see ShotsError).
	Approx bool
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

// ApproxCounter is implemented by a TokenCounter whose count may be only
// an upper bound (an API model without its tokenizer counts bytes).
type ApproxCounter interface {
	CountsApprox() bool
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
	w := ContextWindow{Tokens: lm.Info().MaxLength, Count: ApproxTokens, Approx: true}
	if tc, ok := lm.(TokenCounter); ok {
		w.Count, w.Approx = tc.CountTokens, false
		if ac, ok := lm.(ApproxCounter); ok {
			w.Approx = ac.CountsApprox()
		}
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

// ShotsError reports a shot count whose prompts do not fit the model's
// context window: some document's k-shot prompt, with its continuation or
// generation budget, is longer than the window, so the model would see a
// truncated prompt, not k examples. Tasks return it from Instances once
// every document has been tried, before any request is scored.
type ShotsError struct {
	Task   string
	Shots  int // the k asked for
	Window int // the model's context window, tokens
	Fit    int // the largest k whose prompt fits every document
	Docs   int // documents whose Shots-shot prompt does not fit
	Total  int // documents of the task
	First  int // ID of the first document that does not fit
}

func (e *ShotsError) Error() string {
	return fmt.Sprintf("task %s: %d-shot prompts do not fit the model's %d-token window in %d of %d documents (the first is document %d); at most %d examples fit every document: use --shots %d, or --shots max for as many as fit each document",
		e.Task, e.Shots, e.Window, e.Docs, e.Total, e.First, e.Fit, e.Fit)
}

// CheckFit builds t's instances for the largest k > 0 in shots with every
// seed, so that a k whose prompts do not fit the context window (a
// *ShotsError) or that the few-shot pool cannot supply is refused before
// any request of the run is scored. It does nothing for a task that is not
// a WindowedTask; call it after SetContextWindow. Fitting is monotone in k (the
// k-shot examples are the first k of one draw), so the largest k decides.
func CheckFit(t Task, shots []int, seeds []uint64) error {
	if _, ok := t.(WindowedTask); !ok {
		return nil
	}
	k := 0
	for _, s := range shots {
		k = max(k, s)
	}
	if k == 0 {
		return nil
	}
	for _, seed := range seeds {
		if _, err := t.Instances(k, seed); err != nil {
			return err
		}
	}
	return nil
}
