// Package apilm is an eval.LanguageModel backed by OpenAI-compatible
// completions endpoints (POST {base}/completions): vLLM, `kshot serve`, or
// any server that returns prompt log-probabilities with echo. Servers that
// do not (llama.cpp's server, chat-only APIs) run generation requests
// only; loglikelihood and rolling requests are refused with
// ErrNoPromptLogprobs.
//
// Request kinds map onto the API as lm-evaluation-harness's
// openai_completions backend does:
//
//   - Loglikelihood: prompt = context + continuation (the context's
//     trailing whitespace moved into the continuation, an empty context
//     replaced by "<|endoftext|>"), echo true, max_tokens 0 (or
//     Config.EchoMaxTokens), logprobs 1. The continuation's tokens are
//     those whose text_offset is at or after the context's length in
//     characters; their log-probabilities are summed and the request is
//     greedy when every one of them is its position's top-1 token. A token
//     that starts inside the context and ends inside the continuation is
//     an error (ErrTokenizerMismatch).
//   - Rolling: with Config.Tokenizer, the text is cut into
//     eval.RollingWindows in tokens and each window is sent as a list of
//     token ids (no decode and re-encode); without it the whole text is
//     sent in one request after "<|endoftext|>" and must fit the window.
//   - Generate: prompt = context, max_tokens = the budget, temperature 0,
//     stop = the request's stop strings (applied again on the answer); a
//     sampled request sends its temperature, top_p, top_k (when > 0) and
//     seed instead of temperature 0, and beam search is refused.
//     With Config.Chat the request goes to POST {base}/chat/completions
//     instead: an optional system message, then the prompt as one user
//     message; the answer is message.content, cut at the stop strings.
//
// Open runs Probe first (a handful of fixed requests that find what the
// server really does: prompt log-probs with echo, max_tokens 0, stop
// strings, the log-probs format, the window, /tokenize, chat), and
// LM.Refusal says before any task starts which request kinds cannot run
// and why.
//
// Requests of a batch are sent one per HTTP request, spread over every
// endpoint with at most Config.Concurrency in flight per endpoint; 429,
// 5xx, timeouts and connection failures are retried with exponential
// backoff, on whichever endpoint is free. Log-probabilities are natural
// logarithms; text offsets count Unicode code points (characters), as vLLM
// and OpenAI report them.
//
// The API key is sent as a bearer token and never appears in errors or
// logs.
package apilm
