package model

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// TestFingerprintFixture recomputes the documented scheme by hand for a
// fixture: name, NUL, 8-byte little-endian length, bytes, for config.json,
// the safetensors header, then vocab.json and merges.txt.
func TestFingerprintFixture(t *testing.T) {
	dir := sharedtest.Path(t, "fixtures/models/gpt2-tiny")
	h := sha256.New()
	part := func(name string, data []byte) {
		h.Write([]byte(name + "\x00"))
		h.Write(binary.LittleEndian.AppendUint64(nil, uint64(len(data))))
		h.Write(data)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	part("config.json", read("config.json"))
	st := read("model.safetensors")
	part("model.safetensors", st[:8+binary.LittleEndian.Uint64(st)])
	part("vocab.json", read("vocab.json"))
	part("merges.txt", read("merges.txt"))
	want := hex.EncodeToString(h.Sum(nil))
	got, err := Fingerprint(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Fingerprint = %s, want %s", got, want)
	}
}

func TestFingerprintSensitivity(t *testing.T) {
	cfg, ts := ckptSynthGPT2()
	base := t.TempDir()
	ckptWriteModel(t, base, cfg, ts)
	fp := func(dir string) string {
		t.Helper()
		s, err := Fingerprint(dir)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ref := fp(base)
	changed := func(tensors []ckptTensor) []ckptTensor {
		out := append([]ckptTensor(nil), tensors...)
		d := append([]byte(nil), out[0].data...)
		d[0] ^= 0xff
		out[0].data = d
		return out
	}
	cases := []struct {
		name  string
		setup func(dir string)
		same  bool
	}{
		{"identical copy", func(dir string) { ckptWriteModel(t, dir, cfg, ts) }, true},
		{"tensor data only", func(dir string) { ckptWriteModel(t, dir, cfg, changed(ts)) }, true},
		{"config", func(dir string) { ckptWriteModel(t, dir, ckptWith(cfg, "layer_norm_epsilon", 1e-6), ts) }, false},
		{"header metadata", func(dir string) {
			ckptWriteModel(t, dir, cfg, ts, func(h map[string]any) { h["__metadata__"] = map[string]string{"format": "np"} })
		}, false},
		{"tokenizer file added", func(dir string) {
			ckptWriteModel(t, dir, cfg, ts)
			ckptWriteFile(t, filepath.Join(dir, "merges.txt"), []byte("#version: 0.2\n"))
		}, false},
		{"unrelated file added", func(dir string) {
			ckptWriteModel(t, dir, cfg, ts)
			ckptWriteFile(t, filepath.Join(dir, "README.md"), []byte("hello"))
		}, true},
		{"sharded", func(dir string) { ckptWriteSharded(t, dir, cfg, [][]ckptTensor{ts[:3], ts[3:]}, nil) }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			c.setup(dir)
			if got := fp(dir); (got == ref) != c.same {
				t.Errorf("fingerprint same = %v, want %v", got == ref, c.same)
			}
		})
	}
}

func TestFingerprintErrors(t *testing.T) {
	cfg, ts := ckptSynthGPT2()
	cases := []struct {
		name  string
		setup func(dir string)
		want  string
	}{
		{"no config", func(dir string) {}, "config.json"},
		{"no checkpoint", func(dir string) { ckptWriteModel(t, dir, cfg, ts); os.Remove(filepath.Join(dir, SafetensorsFileName)) }, "no model.safetensors"},
		{"corrupt header", func(dir string) {
			ckptWriteModel(t, dir, cfg, ts)
			ckptWriteFile(t, filepath.Join(dir, SafetensorsFileName), ckptRawFile(`{"w": 1}`, nil))
		}, `"w"`},
		{"short file", func(dir string) {
			ckptWriteModel(t, dir, cfg, ts)
			ckptWriteFile(t, filepath.Join(dir, SafetensorsFileName), []byte{1, 0})
		}, "too short"},
		{"missing shard", func(dir string) {
			ckptWriteSharded(t, dir, cfg, [][]ckptTensor{ts[:3], ts[3:]}, nil)
			os.Remove(filepath.Join(dir, "model-00001-of-00002.safetensors"))
		}, "model-00001-of-00002.safetensors"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			c.setup(dir)
			_, err := Fingerprint(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
}
