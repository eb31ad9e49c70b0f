package model

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// checkFileError fails t unless err is one line naming one of files.
func checkFileError(t *testing.T, err error, files ...string) {
	t.Helper()
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Fatalf("error spans lines: %q", msg)
	}
	for _, f := range files {
		if strings.Contains(msg, f) {
			return
		}
	}
	t.Fatalf("error %q names none of %q", msg, files)
}

// FuzzSafetensorsFile opens damaged safetensors files — the real
// checkpoints of the shared data cut, flipped and shortened, and a small
// well-formed file — and reads every tensor: a bad file must give a
// *FileError naming it, never a panic or a read outside the file.
func FuzzSafetensorsFile(f *testing.F) {
	for _, s := range sharedtest.Corrupted(f, 0, "data/tiny_gpt2_loractl/model.safetensors") {
		f.Add(s)
	}
	for _, s := range sharedtest.Corrupted(f, 4096, "fixtures/models/gpt2-tiny/model.safetensors", "fixtures/models/gpt-neo-tiny/model.safetensors") {
		f.Add(s)
	}
	_, ts := ckptSynthGPT2()
	for _, s := range sharedtest.Damage(ckptBuild(f, ts[:6], map[string]string{"format": "pt"})) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		sf, err := newSafetensorsFile("model.safetensors", raw)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v is not a *FileError", err, err)
			}
			checkFileError(t, err, "model.safetensors")
			return
		}
		for _, ti := range sf.Header.Tensors {
			if ti.NumElements() > 1<<22 {
				continue
			}
			if err := sf.ReadFloat32(make([]float32, ti.NumElements()), ti.Name); err != nil {
				checkFileError(t, err, "model.safetensors")
			}
		}
	})
}

// FuzzLoadCheckpoint loads a model directory whose config.json and
// model.safetensors are damaged copies of a real save_pretrained
// checkpoint (and of a small synthetic one): Load must return the model or
// one error naming the file to blame, never panic.
func FuzzLoadCheckpoint(f *testing.F) {
	real := func(rel string) []byte {
		b, err := os.ReadFile(filepath.Join(sharedtest.Root(), rel))
		if err != nil {
			return nil
		}
		return b
	}
	if cfg, st := real("data/tiny_gpt2_loractl/config.json"), real("data/tiny_gpt2_loractl/model.safetensors"); cfg != nil && st != nil {
		for _, c := range sharedtest.Damage(cfg) {
			f.Add(c, st)
		}
		for _, s := range sharedtest.Damage(st) {
			f.Add(cfg, s)
		}
	}
	cfg, ts := ckptSynthGPT2()
	js, _ := json.Marshal(cfg)
	st := ckptBuild(f, ts, map[string]string{"format": "pt"})
	for _, c := range sharedtest.Damage(js) {
		f.Add(c, st)
	}
	for _, s := range sharedtest.Damage(st) {
		f.Add(js, s)
	}
	f.Add([]byte(`{"model_type": "gpt2", "vocab_size": 11, "n_positions": 5, "n_embd": 800000, "n_head": 2, "n_layer": 1}`), st)
	f.Add([]byte(`{"model_type": "gpt2", "vocab_size": 11, "n_positions": 5, "n_embd": 8, "n_head": 2, "n_layer": 100000000}`), st)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, config, weights []byte) {
		if err := os.WriteFile(filepath.Join(dir, ConfigFileName), config, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, SafetensorsFileName), weights, 0o644); err != nil {
			t.Fatal(err)
		}
		c, w, err := Load(dir)
		if err != nil {
			checkFileError(t, err, ConfigFileName, SafetensorsFileName)
			return
		}
		if c == nil || w == nil {
			t.Fatal("Load returned no error and no model")
		}
	})
}

// FuzzShardIndexCheckpoint opens a sharded checkpoint whose index is a
// damaged copy of a valid one: OpenCheckpoint must open it or name the
// index (or a shard) in one error.
func FuzzShardIndexCheckpoint(f *testing.F) {
	cfg, ts := ckptSynthGPT2()
	dir := f.TempDir()
	ckptWriteSharded(f, dir, cfg, [][]ckptTensor{ts[:5], ts[5:]}, nil)
	idx, err := os.ReadFile(filepath.Join(dir, IndexFileName))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range sharedtest.Damage(idx) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, index []byte) {
		if err := os.WriteFile(filepath.Join(dir, IndexFileName), index, 0o644); err != nil {
			t.Fatal(err)
		}
		ck, err := OpenCheckpoint(dir)
		if err != nil {
			checkFileError(t, err, IndexFileName, ".safetensors")
			return
		}
		ck.Close()
	})
}

// tokenizerPairs are the two file pairs LoadTokenizer reads a BPE
// vocabulary and merges from.
var tokenizerPairs = [][2]string{{"vocab.json", "merges.txt"}, {"encoder.json", "vocab.bpe"}}

// FuzzTokenizerFiles writes damaged vocabulary and merges files — cut
// from the real GPT-2 files of the shared data, and a small valid pair —
// as vocab.json + merges.txt or encoder.json + vocab.bpe, and loads the
// directory with LoadTokenizer: the result must be a working tokenizer or
// a *TokenizerFileError naming one of the two files.
func FuzzTokenizerFiles(f *testing.F) {
	vocab, merges := []byte(tokTinyVocab(tokFuzzExtras...)), []byte(tokFuzzMerges)
	for pair := range uint8(2) {
		for _, v := range sharedtest.Damage(vocab) {
			f.Add(v, merges, pair)
		}
		for _, m := range sharedtest.Damage(merges) {
			f.Add(vocab, m, pair)
		}
		for _, m := range sharedtest.Corrupted(f, 4096, "data/gpt2_tokenizer/vocab.bpe", "fixtures/models/gpt2-tiny/merges.txt") {
			f.Add(vocab, m, pair)
		}
		for _, v := range sharedtest.Corrupted(f, 4096, "data/gpt2_tokenizer/encoder.json", "data/tiny_gpt2/vocab.json") {
			f.Add(v, merges, pair)
		}
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, vocab, merges []byte, pair uint8) {
		for _, p := range tokenizerPairs {
			os.Remove(filepath.Join(dir, p[0]))
			os.Remove(filepath.Join(dir, p[1]))
		}
		names := tokenizerPairs[int(pair)%len(tokenizerPairs)]
		os.WriteFile(filepath.Join(dir, names[0]), vocab, 0o644)
		os.WriteFile(filepath.Join(dir, names[1]), merges, 0o644)
		tok, err := LoadTokenizer(dir)
		if err != nil {
			tokCheckLoadError(t, err, filepath.Join(dir, names[0]), filepath.Join(dir, names[1]))
			checkFileError(t, err, names[0], names[1])
			return
		}
		tokExercise(t, tok)
	})
}
