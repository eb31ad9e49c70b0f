package hub

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHubCacheLayout checks the cache against the layout documented for
// huggingface_hub (https://huggingface.co/docs/hub/local-cache): folder
// models--<owner>--<name>; blobs/ flat, named by the etag (sha256 for LFS
// files, git sha1 otherwise); refs/main holding the 40-hex commit and no
// newline; snapshots/<commit>/<file> relative symlinks to ../../blobs/<etag>;
// lock files in <cache>/.locks/<repo folder>/<etag>.lock; and no
// .incomplete file left.
func TestHubCacheLayout(t *testing.T) {
	f := newFakeHub(t)
	files := tinyModelFiles(t)
	repo := f.addRepo("model", "tiny/gpt2", files)
	h := f.hub(t)
	if _, err := modelDir(context.Background(), h, "tiny/gpt2"); err != nil {
		t.Fatal(err)
	}
	commit := repo.refs["main"]
	var want []string
	for _, name := range []string{"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.json"} {
		etag := gitBlobSHA1(files[name].data)
		if name == "model.safetensors" {
			etag = tinySafetensorsSHA256 // from SOURCES.md, not computed here
		}
		want = append(want,
			".locks/models--tiny--gpt2/"+etag+".lock",
			"models--tiny--gpt2/blobs/"+etag,
			"models--tiny--gpt2/snapshots/"+commit+"/"+name+" -> ../../blobs/"+etag)
	}
	want = append(want, "models--tiny--gpt2/refs/main = "+commit)
	slices.Sort(want)
	got := cacheListing(t, h.CacheDir)
	if !slices.Equal(got, want) {
		t.Errorf("cache layout:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// cacheListing lists every file under dir: symlinks with their target,
// files under refs/ with their content, other files by name.
func cacheListing(t *testing.T, dir string) []string {
	var got []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			rel += " -> " + filepath.ToSlash(target)
		case strings.Contains(rel, "/refs/"):
			data, _ := os.ReadFile(p)
			rel += " = " + string(data)
		}
		got = append(got, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	return got
}

// TestHubDownloadFaults drives the download through the failures a real
// network produces.
func TestHubDownloadFaults(t *testing.T) {
	t.Run("connection dropped mid-file resumes", func(t *testing.T) {
		f := newFakeHub(t)
		files := tinyModelFiles(t)
		f.addRepo("model", "tiny/gpt2", files)
		size := len(files["model.safetensors"].data)
		f.set(func() { f.drop[tinySafetensorsSHA256] = size / 3 })
		h := f.hub(t)
		dir, err := modelDir(context.Background(), h, "tiny/gpt2")
		if err != nil {
			t.Fatal(err)
		}
		sameFiles(t, dir, files, "model.safetensors")
		served, ranges, _ := f.stats()
		if want := []string{"bytes=" + strconv.Itoa(size/3) + "-"}; !slices.Equal(ranges, want) {
			t.Errorf("CDN saw Range %q, want %q", ranges, want)
		}
		if served > int64(size)+int64(size)/2 {
			t.Errorf("served %d bytes for a %d-byte file: the retry did not resume", served, size)
		}
	})
	t.Run("stalled connection is abandoned and resumed", func(t *testing.T) {
		f := newFakeHub(t)
		files := tinyModelFiles(t)
		f.addRepo("model", "tiny/gpt2", files)
		f.set(func() { f.stall[tinySafetensorsSHA256] = 1000 })
		h := f.hub(t)
		h.stallAfter = 200 * time.Millisecond
		dir, err := modelDir(context.Background(), h, "tiny/gpt2")
		if err != nil {
			t.Fatal(err)
		}
		sameFiles(t, dir, files, "model.safetensors")
		if _, ranges, _ := f.stats(); !slices.Equal(ranges, []string{"bytes=1000-"}) {
			t.Errorf("CDN saw Range %q, want [bytes=1000-]", ranges)
		}
	})
	t.Run("expired CDN URL is renewed", func(t *testing.T) {
		f := newFakeHub(t)
		files := tinyModelFiles(t)
		f.addRepo("model", "tiny/gpt2", files)
		f.set(func() {
			f.drop[tinySafetensorsSHA256] = 5000
			f.deny[tinySafetensorsSHA256] = 2 // the resumed request finds the URL expired
		})
		dir, err := modelDir(context.Background(), f.hub(t), "tiny/gpt2")
		if err != nil {
			t.Fatal(err)
		}
		sameFiles(t, dir, files, "model.safetensors")
		if n := f.count("HEAD model.safetensors"); n != 2 {
			t.Errorf("%d HEAD requests for model.safetensors, want 2 (one to renew the URL)", n)
		}
	})
	t.Run("partial file from an earlier run resumes", func(t *testing.T) {
		f := newFakeHub(t)
		files := tinyModelFiles(t)
		f.addRepo("model", "tiny/gpt2", files)
		h := f.hub(t)
		data := files["model.safetensors"].data
		part := filepath.Join(h.CacheDir, "models--tiny--gpt2", "blobs", tinySafetensorsSHA256+".incomplete")
		os.MkdirAll(filepath.Dir(part), 0o755)
		if err := os.WriteFile(part, data[:100000], 0o644); err != nil {
			t.Fatal(err)
		}
		dir, err := modelDir(context.Background(), h, "tiny/gpt2")
		if err != nil {
			t.Fatal(err)
		}
		sameFiles(t, dir, files, "model.safetensors")
		if _, ranges, _ := f.stats(); !slices.Equal(ranges, []string{"bytes=100000-"}) {
			t.Errorf("CDN saw Range %q, want [bytes=100000-]", ranges)
		}
		if _, err := os.Stat(part); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf(".incomplete left behind: %v", err)
		}
	})
	t.Run("partial file longer than the blob starts over", func(t *testing.T) {
		f := newFakeHub(t)
		files := tinyModelFiles(t)
		f.addRepo("model", "tiny/gpt2", files)
		h := f.hub(t)
		data := files["model.safetensors"].data
		part := filepath.Join(h.CacheDir, "models--tiny--gpt2", "blobs", tinySafetensorsSHA256+".incomplete")
		os.MkdirAll(filepath.Dir(part), 0o755)
		os.WriteFile(part, append(bytes.Clone(data), "junk"...), 0o644)
		dir, err := modelDir(context.Background(), h, "tiny/gpt2")
		if err != nil {
			t.Fatal(err)
		}
		sameFiles(t, dir, files, "model.safetensors")
		if _, ranges, _ := f.stats(); len(ranges) != 0 {
			t.Errorf("CDN saw Range %q, want a full download", ranges)
		}
	})
	for _, lfs := range []bool{true, false} {
		name := map[bool]string{true: "LFS body not matching its sha256", false: "git body not matching its sha1"}[lfs]
		t.Run(name, func(t *testing.T) {
			f := newFakeHub(t)
			files := tinyModelFiles(t)
			files["vocab.json"].lfs = lfs
			f.addRepo("model", "tiny/gpt2", files)
			etag := files["vocab.json"].etag()
			f.set(func() { f.corrupt[etag] = true })
			h := f.hub(t)
			_, err := modelDir(context.Background(), h, "tiny/gpt2")
			if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), "vocab.json") || !strings.Contains(err.Error(), etag) {
				t.Fatalf("err = %v, want ErrChecksum naming vocab.json and %s", err, etag)
			}
			if n := f.count("GET body " + etag); n != 2 {
				t.Errorf("%d downloads of the corrupt file, want 2 (one restart)", n)
			}
			blobs := filepath.Join(h.CacheDir, "models--tiny--gpt2", "blobs")
			for _, p := range []string{filepath.Join(blobs, etag), filepath.Join(blobs, etag+".incomplete")} {
				if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s exists after a failed check", p)
				}
			}
			if _, err := os.Stat(filepath.Join(h.CacheDir, "models--tiny--gpt2", "refs", "main")); err == nil {
				t.Error("refs/main written although the model is incomplete")
			}
		})
	}
	t.Run("server errors are retried", func(t *testing.T) {
		f := newFakeHub(t)
		f.addRepo("model", "tiny/gpt2", tinyModelFiles(t))
		f.set(func() { f.fail5xx = 3 })
		if _, err := modelDir(context.Background(), f.hub(t), "tiny/gpt2"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a server that keeps failing is an error", func(t *testing.T) {
		f := newFakeHub(t)
		f.addRepo("model", "tiny/gpt2", tinyModelFiles(t))
		f.set(func() { f.fail5xx = 1000 })
		_, err := modelDir(context.Background(), f.hub(t), "tiny/gpt2")
		if err == nil || !strings.Contains(err.Error(), "503") {
			t.Fatalf("err = %v, want HTTP 503", err)
		}
		if n := f.count("GET /api/models/tiny/gpt2/revision/main"); n != attempts {
			t.Errorf("%d attempts, want %d", n, attempts)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		f := newFakeHub(t)
		f.addRepo("model", "tiny/gpt2", tinyModelFiles(t))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := modelDir(ctx, f.hub(t), "tiny/gpt2"); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

func TestHubProgress(t *testing.T) {
	f := newFakeHub(t)
	f.addRepo("model", "tiny/gpt2", tinyModelFiles(t))
	h := f.hub(t)
	var out bytes.Buffer
	h.Progress = &out
	h.progressMin = 400_000 // model.safetensors (454,040 bytes) only
	if _, err := modelDir(context.Background(), h, "tiny/gpt2"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || lines[0] != "kshot: downloading model tiny/gpt2 model.safetensors (454.0 kB)" ||
		!strings.HasPrefix(lines[1], "kshot: downloaded model tiny/gpt2 model.safetensors: 454.0 kB in ") {
		t.Errorf("progress output:\n%s", out.String())
	}
}

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{w: &buf, tty: true, name: "model o/n model.safetensors", total: 2_000_000, done: 900_000, start: time.Now()}
	p.draw()
	want := "\rkshot: model o/n model.safetensors [==========              ]  45% 900.0 kB/2.0 MB "
	if got := buf.String(); !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "/s") {
		t.Errorf("bar = %q, want %q followed by a rate", got, want)
	}
	for _, tc := range []struct {
		n    int64
		want string
	}{{0, "0 B"}, {999, "999 B"}, {1000, "1.0 kB"}, {454040, "454.0 kB"}, {548_105_171, "548.1 MB"}, {6_431_878_936, "6.43 GB"}} {
		if got := humanBytes(tc.n); got != tc.want {
			t.Errorf("humanBytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

// TestVerifyBlob checks the hashes against published values: git's hash
// of the empty blob and of "hello world\n" (git hash-object), and the
// FIPS 180-2 sha256 of "abc".
func TestVerifyBlob(t *testing.T) {
	tests := []struct {
		data, etag string
		size       int64
		ok         bool
	}{
		{"", "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", 0, true},
		{"hello world\n", "3b18e512dba79e4c8300dd08aeb37f8e728b8dad", 12, true},
		{"hello world!", "3b18e512dba79e4c8300dd08aeb37f8e728b8dad", 12, false},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 3, true},
		{"abd", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 3, false},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 4, false},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", -1, true},
		{"anything", "not-a-hash-etag", -1, true},
	}
	for _, tc := range tests {
		t.Run(tc.etag[:8]+"/"+tc.data, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "blob")
			os.WriteFile(p, []byte(tc.data), 0o644)
			err := verifyBlob(p, fileMeta{etag: tc.etag, size: tc.size})
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrChecksum)) {
				t.Errorf("verifyBlob = %v, want ok=%t", err, tc.ok)
			}
		})
	}
}
