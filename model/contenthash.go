package model

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/kshot-eval/kshot/internal/kernels"
)

// ContentHash returns a hex SHA-256 over the model's Fingerprint and the
// full bytes of every safetensors file in dir. Unlike Fingerprint it tells
// apart two checkpoints with the same shapes and tokenizer (two
// fine-tunes); the request cache's key (ScoreKey) includes it. It reads
// every weight byte once.
func ContentHash(dir string) (string, error) {
	fp, err := Fingerprint(dir)
	if err != nil {
		return "", err
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	h := sha256.New()
	io.WriteString(h, fp)
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			return "", &FileError{File: f, Msg: "cannot open: " + unwrapPathError(err)}
		}
		io.WriteString(h, "\x00"+filepath.Base(f)+"\x00")
		_, err = io.Copy(h, r)
		r.Close()
		if err != nil {
			return "", &FileError{File: f, Msg: "cannot read: " + err.Error()}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// numerics names the decoder's arithmetic. Change it whenever a change to
// the decoder or its kernels can change a score's bits (an order of
// additions, a kernel, a blocking that is not bit-neutral), so that caches
// keyed by ScoreKey never mix scores of two versions.
const numerics = "kshot-decoder-2026-11-29b"

// ScoreKey returns what the decoder's scores for the model in dir depend
// on: its ContentHash, the version of the decoder's arithmetic and the
// kernel path in use (the paths agree only to rounding). kshot keys its
// request cache with it.
func ScoreKey(dir string) (string, error) {
	h, err := ContentHash(dir)
	if err != nil {
		return "", err
	}
	return h + " " + numerics + " " + kernels.Path(), nil
}
