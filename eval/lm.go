package eval

import "context"

// LanguageModel scores batches of requests. Implementations must return
// exactly one result per request, in order, and results must not depend on
// how requests are grouped into batches.
type LanguageModel interface {
	// Info describes the model for results files.
	Info() ModelInfo
	// Loglikelihood scores each request's continuation given its context.
	Loglikelihood(ctx context.Context, reqs []Loglikelihood) ([]LoglikelihoodResult, error)
	// Rolling scores whole texts.
	Rolling(ctx context.Context, reqs []Rolling) ([]RollingResult, error)
	// Generate continues each context by its decoding rule.
	Generate(ctx context.Context, reqs []Generate) ([]GenerateResult, error)
}

// ModelInfo describes a model in results files.
type ModelInfo struct {
	Name        string // short name, used as the results directory name
	Source      string // where it was loaded from (directory or Hub id)
	Parameters  int64  // number of parameters (tied embeddings counted once)
	MaxLength   int    // context window, tokens
	Fingerprint string // hash of config, tensor headers and tokenizer files
	// Chat, when set, says that generation went through a chat endpoint
	// and with which options; the results file records it.
	Chat *ChatInfo
}

// ChatInfo describes generation through a chat endpoint.
type ChatInfo struct {
	Endpoint           string // URL of the endpoint, e.g. http://host:8000/v1/chat/completions
	SystemInstruction  string // the system prompt, "" for none
	FewshotAsMultiturn bool   // few-shot examples sent as user and assistant turns
}

// Tokenizer is the part of a tokenizer the token-level adapter needs.
type Tokenizer interface {
	Encode(text string) []int
	Decode(ids []int) string
	EOT() int // end-of-text token id, -1 when the vocabulary has none
}

// TokenSeq is one sequence to score: the log-probability of every token
// Tokens[t] for t ≥ From given Tokens[:t]. From is at least 1.
type TokenSeq struct {
	Tokens []int
	From   int
}

// TokenScores holds the scores of the tokens Tokens[From:] of a TokenSeq.
type TokenScores struct {
	LogProbs []float64 // natural log
	Greedy   []bool    // the token was the model's argmax
}

// TokenScorer is a token-level model: the interface kshot's built-in
// decoder implements. NewTokenLM turns one into a LanguageModel.
type TokenScorer interface {
	// MaxLength is the context window in tokens.
	MaxLength() int
	// Score scores a batch of sequences, each at most MaxLength()+1 tokens.
	// The result for a sequence must not depend on the rest of the batch.
	Score(ctx context.Context, seqs []TokenSeq) ([]TokenScores, error)
	// Generate extends each prompt by its Decoding rule, calling
	// stop(i, generated) after each new token of each sequence (every
	// beam hypothesis of a beam search); a sequence of request i ends
	// when it returns true or after MaxNew tokens. A sequence is only
	// extended after stop returned false for it, so stop may assume that
	// generated[:len(generated)-1] did not stop (see NewStopCheck).
	Generate(ctx context.Context, reqs []TokenGenerate, stop func(i int, generated []int) bool) ([][]int, error)
}

// TokenGenerate is one generation at the token level.
type TokenGenerate struct {
	Prompt   []int
	MaxNew   int      // generation budget, tokens
	BanFirst []int    // tokens that may not be generated first
	Decoding Decoding // the zero value is greedy
}
