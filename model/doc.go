// Package model is kshot's built-in decoder: it reads Hugging Face
// checkpoints (config.json + safetensors), tokenizes text exactly as the
// reference tokenizers do, and scores token sequences with GPT-1
// (openai-gpt), GPT-2 (gpt2) and GPT-Neo (gpt_neo) transformers computed as
// Hugging Face transformers computes them.
//
// Shape glossary used in comments: B sequences in a batch, T tokens, C model
// width (n_embd), H heads, D = C/H head width, F feed-forward width
// (n_inner, 4C by default), V vocabulary size.
package model
