// Package ladder embeds kshot's default models: a ladder of small GPT-2
// checkpoints of increasing size that `kshot train --ladder` builds from
// a seed, stored in float16, and extracts them to a cache directory so
// that the ordinary loader reads them.
package ladder

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed models/*/config.json models/*/model.safetensors models/*/vocab.json models/*/merges.txt
var files embed.FS

// modelFiles are the files of each embedded model directory.
var modelFiles = []string{"config.json", "model.safetensors", "vocab.json", "merges.txt"}

// Model is one embedded model.
type Model struct {
	Name  string // directory name, e.g. "synth-large"
	Bytes int64  // size of its model.safetensors, bytes
}

// Models returns the embedded models ordered by size, smallest first.
func Models() ([]Model, error) {
	entries, err := fs.ReadDir(files, "models")
	if err != nil {
		return nil, err
	}
	var out []Model
	for _, e := range entries {
		if !e.IsDir() || strings.HasSuffix(e.Name(), ".ckpt") {
			continue // resumable training state of an unfinished rebuild
		}
		fi, err := fs.Stat(files, path.Join("models", e.Name(), "model.safetensors"))
		if err != nil {
			return nil, fmt.Errorf("ladder: embedded model %s: %w", e.Name(), err)
		}
		out = append(out, Model{Name: e.Name(), Bytes: fi.Size()})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Bytes != out[j].Bytes {
			return out[i].Bytes < out[j].Bytes
		}
		return out[i].Name < out[j].Name
	})
	if len(out) == 0 {
		return nil, errors.New("ladder: no embedded models")
	}
	return out, nil
}

// ContentHash returns the SHA-256 (hex) of every embedded file, names
// included, in a fixed order.
func ContentHash() (string, error) {
	ms, err := Models()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range ms {
		for _, f := range modelFiles {
			p := path.Join("models", m.Name, f)
			data, err := files.ReadFile(p)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(h, "%s %d\n", p, len(data))
			h.Write(data)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Extract writes the embedded models under
// os.UserCacheDir()/kshot/ladder/<content hash>/<name> (once: later calls
// find them there) and returns their directories, smallest model first.
func Extract() ([]string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return nil, fmt.Errorf("ladder: no cache directory to extract the embedded models to: %w (set XDG_CACHE_HOME or HOME)", err)
	}
	return ExtractTo(filepath.Join(base, "kshot", "ladder"))
}

// ExtractTo writes the embedded models under root/<content hash>/<name>
// and returns their directories, smallest model first. The directory of a
// content hash appears atomically (written aside, then renamed), so a
// crash or a concurrent run never leaves a partial model behind.
func ExtractTo(root string) ([]string, error) {
	ms, err := Models()
	if err != nil {
		return nil, err
	}
	sum, err := ContentHash()
	if err != nil {
		return nil, err
	}
	final := filepath.Join(root, sum)
	dirs := make([]string, len(ms))
	for i, m := range ms {
		dirs[i] = filepath.Join(final, m.Name)
	}
	if fi, err := os.Stat(final); err == nil && fi.IsDir() {
		return dirs, nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("ladder: %w", err)
	}
	tmp, err := os.MkdirTemp(root, ".extract-*")
	if err != nil {
		return nil, fmt.Errorf("ladder: %w", err)
	}
	defer os.RemoveAll(tmp)
	for _, m := range ms {
		if err := os.Mkdir(filepath.Join(tmp, m.Name), 0o755); err != nil {
			return nil, fmt.Errorf("ladder: %w", err)
		}
		for _, f := range modelFiles {
			data, err := files.ReadFile(path.Join("models", m.Name, f))
			if err != nil {
				return nil, err
			}
			if err := os.WriteFile(filepath.Join(tmp, m.Name, f), data, 0o644); err != nil {
				return nil, fmt.Errorf("ladder: %w", err)
			}
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		// Another process may have extracted the same content first.
		if fi, serr := os.Stat(final); serr == nil && fi.IsDir() {
			return dirs, nil
		}
		return nil, fmt.Errorf("ladder: %w", err)
	}
	return dirs, nil
}
