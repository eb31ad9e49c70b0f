package eval

// Request is one scoring request a task asks of a language model. The set
// of kinds is closed: Loglikelihood, Rolling, MultipleChoice and Generate.
type Request interface{ isRequest() }

// Response is a language model's answer to one Request: a
// LoglikelihoodResult, a RollingResult, a ChoiceResult or a GenerateResult.
type Response interface{ isResponse() }

// Loglikelihood asks for log P(Continuation | Context), natural log.
//
// Contracts (as in lm-evaluation-harness): the word-boundary space belongs
// to the continuation (" Paris", not "Paris"); trailing whitespace of the
// context is moved to the start of the continuation; the continuation's
// tokens are enc(Context+Continuation)[len(enc(Context)):]; an empty
// context is replaced by the end-of-text token; a context longer than the
// model's window is cut from the left, the continuation kept whole.
type Loglikelihood struct {
	Context      string
	Continuation string
}

// LoglikelihoodResult is the answer to a Loglikelihood request.
type LoglikelihoodResult struct {
	LogProb float64 // Σ log p(token) over the continuation's tokens, natural log
	Greedy  bool    // every continuation token was the model's argmax
	Tokens  int     // number of continuation tokens scored
}

// Rolling asks for the log-likelihood of a whole text, every token scored
// exactly once, the first one given only the end-of-text token.
//
// With Stride 0 the text is cut into lm-evaluation-harness's disjoint
// windows of the model's full length (each window after the first sees one
// token of earlier context, the last one as much as fits). With Stride > 0
// each window after the first predicts the next Stride tokens with as much
// preceding context as fits, so that every token sees more context.
type Rolling struct {
	Text   string
	Stride int
}

// RollingResult is the answer to a Rolling request.
type RollingResult struct {
	LogProb float64 // Σ log p over all tokens of the text, natural log
	Tokens  int     // number of tokens scored
}

// MultipleChoice asks for the log-likelihood of each option; option i is
// scored as the Loglikelihood request Options[i]. Options usually share a
// context (Choices builds them); partial scoring shares the continuation
// instead (PartialChoices).
type MultipleChoice struct {
	Options []Loglikelihood
}

// Choices returns a MultipleChoice whose options continue one context.
func Choices(context string, continuations ...string) MultipleChoice {
	mc := MultipleChoice{Options: make([]Loglikelihood, len(continuations))}
	for i, c := range continuations {
		mc.Options[i] = Loglikelihood{Context: context, Continuation: c}
	}
	return mc
}

// PartialChoices returns a MultipleChoice whose options are different
// contexts followed by the same continuation (Winograd-style partial
// scoring: the option goes into the context, the rest of the sentence is
// scored).
func PartialChoices(contexts []string, continuation string) MultipleChoice {
	mc := MultipleChoice{Options: make([]Loglikelihood, len(contexts))}
	for i, c := range contexts {
		mc.Options[i] = Loglikelihood{Context: c, Continuation: continuation}
	}
	return mc
}

// ChoiceResult is the answer to a MultipleChoice request, one result per
// option in order.
type ChoiceResult struct {
	Options []LoglikelihoodResult
}

// Generate asks for a continuation of Context, greedy unless Decoding says
// otherwise, that stops before the first occurrence of any string in Until
// (the end-of-text token always stops generation) or after MaxTokens
// tokens (0 means 256).
type Generate struct {
	Context   string
	Until     []string
	MaxTokens int
	// Exclude lists words the generation may not start with: each one
	// that is a single token (with its leading space, lower-case or
	// capitalised) is banned at the first step. The GPT-2 paper's LAMBADA
	// stop-word filter uses it.
	Exclude []string
	// Decoding is the token-picking rule; the zero value is greedy.
	Decoding Decoding `json:",omitzero"`
	// Parts, when set, are the pieces Context was joined from
	// (Parts.String() == Context), for chat endpoints that send the
	// few-shot examples as turns; nil for a prompt not built by
	// FewShot.Prompt.
	Parts *PromptParts `json:",omitempty"`
}

// GenerateResult is the answer to a Generate request.
type GenerateResult struct {
	Text string // generated text, cut before the stop string
}

// DefaultMaxGenTokens is the generation budget when Generate.MaxTokens is 0.
const DefaultMaxGenTokens = 256

func (Loglikelihood) isRequest()  {}
func (Rolling) isRequest()        {}
func (MultipleChoice) isRequest() {}
func (Generate) isRequest()       {}

func (LoglikelihoodResult) isResponse() {}
func (RollingResult) isResponse()       {}
func (ChoiceResult) isResponse()        {}
func (GenerateResult) isResponse()      {}
