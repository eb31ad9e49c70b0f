package train

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kshot-eval/kshot/model"
)

// TestDecoderAgrees writes a random model as a Hugging Face checkpoint,
// loads it with kshot's loader and decoder, and compares the decoder's
// per-token log-probabilities with the trainer's forward pass.
func TestDecoderAgrees(t *testing.T) {
	bpe, err := TrainBPE([]string{"the cat sat on the mat", "the dog sat on the log", "a cat and a dog"}, 280)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{VocabSize: len(bpe.Vocab), NPositions: 16, NEmbd: 24, NLayer: 2, NHead: 3}
	m, err := NewModel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 3))
	for i := range m.Params {
		m.Params[i] = float32(r.NormFloat64() * 0.3)
	}
	dir := t.TempDir()
	if err := WriteCheckpoint(dir, m, bpe, F32); err != nil {
		t.Fatal(err)
	}
	_, dec, tok, err := model.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tok.EOT() != cfg.VocabSize-1 {
		t.Errorf("EOT id %d, want %d", tok.EOT(), cfg.VocabSize-1)
	}
	if got := dec.NumParameters(); got != int64(m.NumParams()) || got != int64(ParamCount(cfg)) {
		t.Errorf("decoder counts %d parameters, trainer %d, ParamCount %d", got, m.NumParams(), ParamCount(cfg))
	}
	ids := tok.Encode("the cat sat on the log and a dog")
	if len(ids) > cfg.NPositions {
		ids = ids[:cfg.NPositions]
	}
	lp, _, err := dec.TokenLogprobs(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	T := len(ids) - 1
	a := newActs(cfg, 1, T)
	m.forward(a, ids[:T], ids[1:])
	var worst float64
	for i := range T {
		d := math.Abs(-a.losses[i] - lp[i])
		worst = max(worst, d)
		if d > 1e-4 {
			t.Errorf("position %d: trainer log p %.6f, decoder %.6f", i, -a.losses[i], lp[i])
		}
	}
	t.Logf("%d positions, max difference %.2g", T, worst)
}

// TestFloat32ToF16 checks the rounding against the decoder's widening:
// every finite half converts back to itself, and midpoints round to even.
func TestFloat32ToF16(t *testing.T) {
	for h := range uint32(1 << 16) {
		f := model.F16ToFloat32(uint16(h))
		if f != f { // NaN
			if g := Float32ToF16(f); g&0x7c00 != 0x7c00 || g&0x3ff == 0 {
				t.Fatalf("NaN %#04x became %#04x", h, g)
			}
			continue
		}
		if g := Float32ToF16(f); g != uint16(h) {
			t.Fatalf("half %#04x (%g) round-trips to %#04x", h, f, g)
		}
	}
	cases := []struct {
		in   float32
		want uint16
	}{
		{1 + 1.0/2048, 0x3c00},         // halfway between 1 and the next half: to even
		{1 + 3.0/2048, 0x3c02},         // halfway, odd below: up
		{65520, 0x7c00},                // rounds past the largest half to infinity
		{5.960464477539063e-08 / 2, 0}, // half of the smallest subnormal: to even (zero)
		{-2, 0xc000},
	}
	for _, c := range cases {
		if got := Float32ToF16(c.in); got != c.want {
			t.Errorf("Float32ToF16(%g) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
}
