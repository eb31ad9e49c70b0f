package model

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// ContentHash returns a hex SHA-256 over the model's Fingerprint and the
// full bytes of every safetensors file in dir. Unlike Fingerprint it tells
// apart two checkpoints with the same shapes and tokenizer (two
// fine-tunes), so kshot keys its request cache with it. It reads every
// weight byte once.
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
