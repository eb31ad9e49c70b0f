package train

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestPretokenize(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"Hello world", []string{"Hello", " world"}},
		{"it's  ok\n\nyes", []string{"it", "'s", " ", " ok", "\n", "\n", "yes"}},
		{"three plus 4 = 7.", []string{"three", " plus", " 4", " =", " 7", "."}},
		{"end  ", []string{"end", "  "}},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			if got := pretokenize(c.in); !slices.Equal(got, c.want) {
				t.Errorf("pretokenize(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

// TestTrainBPE checks merges worked out by hand.
func TestTrainBPE(t *testing.T) {
	cases := []struct {
		name  string
		texts []string
		want  [][2]string
	}{
		{"frequency", []string{"ab ab ab abc"}, [][2]string{{"a", "b"}, {"Ġ", "ab"}}},
		{"ties in byte order", []string{"ab ab cd cd"}, [][2]string{{"a", "b"}, {"c", "d"}, {"Ġ", "cd"}}},
		{"nothing twice", []string{"ab cd"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := TrainBPE(c.texts, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(b.Merges, c.want) {
				t.Errorf("merges %q, want %q", b.Merges, c.want)
			}
			if len(b.Vocab) != 257+len(c.want) || b.Vocab[len(b.Vocab)-1] != EndOfText {
				t.Errorf("vocabulary of %d tokens ending %q", len(b.Vocab), b.Vocab[len(b.Vocab)-1])
			}
		})
	}
	if _, err := TrainBPE([]string{"x"}, 100); err == nil {
		t.Error("vocabulary size 100 accepted")
	}
}

// tinyRun returns a run that trains in well under a second.
func tinyRun(t *testing.T, out string) *Run {
	return &Run{Name: "t", Model: Config{NPositions: 16, NEmbd: 16, NLayer: 1, NHead: 2},
		Hyper: Hyper{Steps: 4, Batch: 2, Context: 16, LR: 1e-2, MinLR: 1e-3, Warmup: 1, WeightDecay: 0.1, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, Clip: 1},
		Seed:  3, CorpusSeed: 4, Passages: 200, VocabSize: 300,
		Out: out, DType: F32, CheckpointDir: out + ".ckpt"}
}

// TestResume checks that a run interrupted after two steps and resumed
// writes exactly the checkpoint of an uninterrupted run, and that the
// rebuild is bit for bit.
func TestResume(t *testing.T) {
	dir := t.TempDir()
	read := func(d string) []byte {
		b, err := os.ReadFile(filepath.Join(d, "model.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a := tinyRun(t, filepath.Join(dir, "a"))
	if err := a.Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
	a2 := tinyRun(t, filepath.Join(dir, "a2"))
	if err := a2.Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(read(a.Out), read(a2.Out)) {
		t.Fatal("two identical runs wrote different checkpoints")
	}
	b := tinyRun(t, filepath.Join(dir, "b"))
	ctx, cancel := context.WithCancel(context.Background())
	b.afterStep = func(done int) {
		if done == 2 {
			cancel()
		}
	}
	err := b.Execute(ctx)
	if err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Fatalf("interrupted run returned %v, want an error telling to resume", err)
	}
	b = tinyRun(t, filepath.Join(dir, "b"))
	b.Resume = true
	if err := b.Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(read(a.Out), read(b.Out)) {
		t.Error("resumed run differs from the uninterrupted one")
	}
	// Other settings may not resume this state.
	c := tinyRun(t, filepath.Join(dir, "b"))
	c.Seed, c.Resume = 99, true
	if err := c.Execute(context.Background()); err == nil || !strings.Contains(err.Error(), "other settings") {
		t.Errorf("resume with another seed: %v", err)
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty := write("empty.txt", []byte(" \n\n"))
	latin1 := write("latin1.txt", []byte("fine line\ncaf\xe9 au lait\n"))
	cases := []struct {
		name string
		edit func(r *Run)
		want string
	}{
		{"empty corpus", func(r *Run) { r.CorpusFile = empty }, "empty"},
		{"non-UTF-8 corpus", func(r *Run) { r.CorpusFile = latin1 }, "latin1.txt:2: not valid UTF-8"},
		{"too large", func(r *Run) { r.Model.NEmbd, r.Model.NLayer, r.Model.NHead = 65536, 64, 64 }, "GB to train"},
		{"heads", func(r *Run) { r.Model.NHead = 3 }, "not a multiple"},
		{"context", func(r *Run) { r.Hyper.Context = 32 }, "exceeds n_positions"},
		{"no checkpoint", func(r *Run) { r.Resume = true }, "cannot resume"},
		{"corpus version", func(r *Run) { r.CorpusVersion = 3 }, "corpus version 3: want 1 or 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := tinyRun(t, filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")))
			c.edit(r)
			err := r.Execute(context.Background())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// TestCorruptState damages a saved state in two ways; resuming must fail
// with an error naming the file.
func TestCorruptState(t *testing.T) {
	dir := t.TempDir()
	r := tinyRun(t, filepath.Join(dir, "m"))
	if err := r.Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(r.CheckpointDir, StateFile)
	orig, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"flipped byte", func() []byte { b := slices.Clone(orig); b[len(b)-3] ^= 0x40; return b }(), "corrupt"},
		{"truncated", orig[:len(orig)-100], state},
		{"garbage", []byte("not a checkpoint at all"), state},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile(state, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			r2 := tinyRun(t, r.Out)
			r2.Resume = true
			err := r2.Execute(context.Background())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}
