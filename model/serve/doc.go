// Package serve puts kshot's built-in decoder behind the OpenAI-compatible
// completions and chat completions APIs, so that remote clients (kshot's
// own apilm backend, lm-evaluation-harness's local-completions model,
// the OpenAI SDKs, curl) can score and generate with it.
//
// Endpoints:
//
//	POST /v1/completions  prompt (string, list of strings, token ids or
//	                      lists of token ids), max_tokens, echo, logprobs
//	                      (0 or 1), stop, stream; greedy decoding only
//	POST /v1/chat/completions  messages rendered by RenderChat (a
//	                      checkpoint with a chat template is refused),
//	                      max_tokens, stop, logprobs (a boolean) and
//	                      top_logprobs (0 or 1), stream; greedy only
//	GET  /v1/models       the served model, with max_model_len and kshot's
//	                      fingerprint of the checkpoint
//	GET  /health          200 while serving, 503 once shutting down
//
// The server computes exactly what the decoder computes in-process: echoed
// prompt log-probabilities come from Decoder.Score, generations from
// Decoder.Generate with the same stop rule as eval.TokenLM. Concurrent
// requests are collected for a short window and run as one decoder batch;
// a bounded queue answers 503 when full and request bodies above a size
// limit get 413.
//
// Conventions: log-probabilities are natural logarithms; text_offset counts
// Unicode code points (characters), as vLLM and OpenAI report them; a token
// whose bytes are not valid UTF-8 on their own is named "bytes:\xNN…", as
// OpenAI's API does.
package serve
