package model

import "github.com/kshot-eval/kshot/internal/kernels"

// Arch is one of the transformer architectures the decoder computes.
type Arch int

const (
	// ArchGPT2 is Hugging Face's "gpt2": pre-LayerNorm blocks, final LayerNorm.
	ArchGPT2 Arch = iota + 1
	// ArchOpenAIGPT is "openai-gpt" (GPT-1): post-LayerNorm blocks, no final LayerNorm.
	ArchOpenAIGPT
	// ArchGPTNeo is "gpt_neo": GPT-2 blocks with alternating global and
	// locally banded attention and unscaled attention scores.
	ArchGPTNeo
)

// Config holds the hyperparameters read from config.json, with Hugging
// Face's defaults filled in.
type Config struct {
	Arch      Arch
	ModelType string // config.json "model_type"

	VocabSize  int // V
	NPositions int // maximum sequence length (context window), tokens
	NEmbd      int // C
	NLayer     int // L
	NHead      int // H; C must be a multiple of H
	NInner     int // F, feed-forward width (default 4C)

	LayerNormEps float64
	Activation   string // "gelu_new", "gelu" (erf), "relu", …

	// AttnScale multiplies the attention scores: 1/sqrt(D) for gpt2 and
	// openai-gpt (when scale_attn_weights), 1 for gpt_neo.
	AttnScale float32
	// ScaleByInverseLayerIdx divides layer i's scores by i+1 (gpt2's
	// scale_attn_by_inverse_layer_idx).
	ScaleByInverseLayerIdx bool
	// LocalWindow[i] > 0 restricts layer i's attention to the last
	// LocalWindow[i] positions, the query's own included (gpt_neo "local").
	LocalWindow []int

	TieWordEmbeddings bool
	BOS, EOS          int // -1 when config.json names none
}

// LayerNorm holds the affine parameters of a LayerNorm over C features.
type LayerNorm struct {
	Gain []float32 // [C]
	Bias []float32 // [C]
}

// Linear is y = x·W + b with W packed for kernels.MatMul.
type Linear struct {
	W *kernels.Packed // [in, out]; float32, or F16/BF16 as the checkpoint stores it
	B []float32       // [out], nil when the layer has no bias
}

// Attention holds the weights of one block's causal self-attention.
type Attention struct {
	QKV  Linear // [C, 3C]: queries, keys, values side by side, head h at columns [h·D, (h+1)·D) of each
	Proj Linear // [C, C]: the output projection of the concatenated heads
}

// MLP holds the weights of one block's position-wise feed-forward network.
type MLP struct {
	FC   Linear // [C, F]
	Proj Linear // [F, C]
}

// Block holds one transformer block's weights, named after Hugging Face's
// ln_1, attn, ln_2 and mlp. Where the LayerNorms sit depends on the
// architecture (see preLNBlock and postLNBlock): for gpt2 and gpt_neo LN1
// normalizes the attention's input and LN2 the MLP's; for openai-gpt LN1
// normalizes the attention's residual sum and LN2 the MLP's.
type Block struct {
	LN1  LayerNorm // [C]
	Attn Attention
	LN2  LayerNorm // [C]
	MLP  MLP
}

// Weights holds a whole model's parameters: the matrices packed in the
// checkpoint's float type (16-bit ones stay 16-bit), the rest in float32.
type Weights struct {
	WTE    []float32 // [V, C] token embeddings; nil when tied to LMHead (see TokenEmbedding)
	WPE    []float32 // [NPositions, C] position embeddings
	Blocks []Block   // [L]
	LNF    LayerNorm // [C] final LayerNorm; nil slices for openai-gpt, which has none
	LMHead Linear    // [C, V]; the packed transpose of WTE when tied, no bias
}

// TokenEmbedding copies token tok's embedding (C values) into dst: from
// WTE, or, when the LM head is tied and WTE was dropped to save memory,
// from the packed head.
func (w *Weights) TokenEmbedding(dst []float32, tok int) {
	if w.WTE != nil {
		C := len(dst)
		copy(dst, w.WTE[tok*C:(tok+1)*C])
		return
	}
	w.LMHead.W.Column(dst, tok)
}

// EmbeddingMatrix returns the [V, C] token embeddings (a copy when they
// live only in the packed LM head).
func (w *Weights) EmbeddingMatrix() []float32 {
	if w.WTE != nil {
		return w.WTE
	}
	V, C := w.LMHead.W.N, w.LMHead.W.K
	out := make([]float32, V*C)
	for v := 0; v < V; v++ {
		w.LMHead.W.Column(out[v*C:(v+1)*C], v)
	}
	return out
}
