// Package train trains small GPT-2 models from scratch on kshot's
// synthetic corpus: a byte-level BPE trainer, the GPT-2 forward and
// backward passes (pre-LayerNorm blocks, gelu_new, learned positions, LM
// head tied to the token embedding) on internal/kernels' matrix product,
// AdamW with linear warm-up and cosine decay, global-norm gradient
// clipping, resumable checkpoints, and a writer of Hugging Face
// checkpoints (config.json, model.safetensors, vocab.json, merges.txt)
// that any GPT-2 loader, kshot's included, reads.
//
// Shapes: B batch rows, T positions per row, N = B·T rows of activations,
// C embedding width, H heads of width D = C/H, F = 4C feed-forward width,
// V vocabulary size, P context window (n_positions), L layers.
//
// Training is deterministic given its seeds: every parallel job writes
// its own outputs, every reduction runs in a fixed order, and the kernels
// give the same bits for any thread count.
package train
