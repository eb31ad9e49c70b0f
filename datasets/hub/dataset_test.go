package hub

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// lambadaRows returns the first n texts of the shared LAMBADA test file,
// decoded here with encoding/json as the reference.
func lambadaRows(t *testing.T, n int) []string {
	data := sharedFile(t, "data/lambada/lambada_test.jsonl")
	var texts []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() && len(texts) < n {
		var rec struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, rec.Text)
	}
	return texts
}

// parquetOf writes texts as a Parquet file with one "text" column, the
// schema of EleutherAI/lambada_openai.
func parquetOf(t *testing.T, texts []string) []byte {
	type row struct {
		Text string `parquet:"text"`
	}
	rows := make([]row, len(texts))
	for i, s := range texts {
		rows[i].Text = s
	}
	var buf bytes.Buffer
	if err := parquet.Write(&buf, rows, parquet.Compression(&parquet.Snappy)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// lambadaRepo adds a dataset whose default/test split is 10 LAMBADA rows in
// two Parquet shards, and a default/validation split of one row.
func lambadaRepo(t *testing.T, f *fakeHub, id string) (*fakeRepo, []string) {
	texts := lambadaRows(t, 11)
	files := map[string]*fakeFile{
		"default/test/0000.parquet":       {data: parquetOf(t, texts[:6]), lfs: true},
		"default/test/0001.parquet":       {data: parquetOf(t, texts[6:10]), lfs: true},
		"default/validation/0000.parquet": {data: parquetOf(t, texts[10:]), lfs: true},
		".gitattributes":                  {data: []byte("*.parquet filter=lfs\n")},
	}
	return f.addRepo("dataset", id, files), texts[:10]
}

// readTexts reads the "text" column of Parquet files, in order.
func readTexts(t *testing.T, paths []string) []string {
	t.Helper()
	type row struct {
		Text string `parquet:"text"`
	}
	var got []string
	for _, p := range paths {
		rows, err := parquet.ReadFile[row](p)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			got = append(got, r.Text)
		}
	}
	return got
}

func TestHubDataset(t *testing.T) {
	f := newFakeHub(t)
	repo, want := lambadaRepo(t, f, "EleutherAI/lambada_openai")
	h := f.hub(t)
	d := Dataset{Repo: "EleutherAI/lambada_openai", Split: "test"}
	paths, err := h.Dataset(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	commit := repo.refs[ParquetRevision]
	snap := filepath.Join(h.CacheDir, "datasets--EleutherAI--lambada_openai", "snapshots", commit)
	wantPaths := []string{filepath.Join(snap, "default", "test", "0000.parquet"), filepath.Join(snap, "default", "test", "0001.parquet")}
	if !slices.Equal(paths, wantPaths) {
		t.Fatalf("paths = %q, want %q", paths, wantPaths)
	}
	if got := readTexts(t, paths); !slices.Equal(got, want) {
		t.Errorf("read %d texts, want the first %d lines of lambada_test.jsonl:\n%q", len(got), len(want), got)
	}
	// Layout: refs/refs/convert/parquet, nested snapshot links.
	ref, err := os.ReadFile(filepath.Join(h.CacheDir, "datasets--EleutherAI--lambada_openai", "refs", "refs", "convert", "parquet"))
	if err != nil || string(ref) != commit {
		t.Errorf("refs/refs/convert/parquet = %q, %v; want %s", ref, err, commit)
	}
	data, _ := os.ReadFile(paths[0])
	sum := sha256.Sum256(data)
	if target, err := os.Readlink(paths[0]); err != nil || target != filepath.FromSlash("../../../../blobs/"+hex.EncodeToString(sum[:])) {
		t.Errorf("link target = %q, %v; want ../../../../blobs/<sha256>", target, err)
	}

	t.Run("offline warm", func(t *testing.T) {
		off := &Client{CacheDir: h.CacheDir, Offline: true, HTTP: &http.Client{Transport: failTransport{t}}}
		got, err := off.Dataset(context.Background(), d)
		if err != nil || !slices.Equal(got, paths) {
			t.Fatalf("offline = %q, %v; want %q", got, err, paths)
		}
		got, err = off.Dataset(context.Background(), Dataset{Repo: d.Repo}) // the only cached split
		if err != nil || !slices.Equal(got, paths) {
			t.Fatalf("offline without split = %q, %v", got, err)
		}
	})
	t.Run("offline cold", func(t *testing.T) {
		off := &Client{CacheDir: h.CacheDir, Offline: true, HTTP: &http.Client{Transport: failTransport{t}}}
		_, err := off.Dataset(context.Background(), Dataset{Repo: "other/data", Split: "test"})
		if !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "HF_HUB_OFFLINE") {
			t.Fatalf("err = %v, want ErrNotCached", err)
		}
		_, err = off.Dataset(context.Background(), Dataset{Repo: d.Repo, Split: "train"})
		if !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), filepath.Join("default", "train")) {
			t.Fatalf("err = %v, want ErrNotCached naming default/train", err)
		}
	})
	t.Run("second online call downloads nothing", func(t *testing.T) {
		before, _, _ := f.stats()
		got, err := h.Dataset(context.Background(), d)
		if err != nil || !slices.Equal(got, paths) {
			t.Fatalf("%q, %v", got, err)
		}
		if after, _, _ := f.stats(); after != before {
			t.Errorf("%d more bytes served", after-before)
		}
	})
	t.Run("only split of a configuration", func(t *testing.T) {
		_, err := h.Dataset(context.Background(), Dataset{Repo: d.Repo})
		if err == nil || !strings.Contains(err.Error(), "2 splits (test, validation)") {
			t.Fatalf("err = %v, want the list of splits", err)
		}
	})
}

// TestHubDatasetPythonCache reads, offline, a split cached by another tool
// (no kshot file list): the snapshot's <config>/<split>/*.parquet in name
// order.
func TestHubDatasetPythonCache(t *testing.T) {
	cache := t.TempDir()
	texts := lambadaRows(t, 3)
	repoDir := filepath.Join(cache, "datasets--EleutherAI--lambada_openai")
	commit := fakeCommit("python")
	var want []string
	for i, part := range [][]string{texts[:1], texts[1:]} {
		data := parquetOf(t, part)
		sum := sha256.Sum256(data)
		etag := hex.EncodeToString(sum[:])
		os.MkdirAll(filepath.Join(repoDir, "blobs"), 0o755)
		os.WriteFile(filepath.Join(repoDir, "blobs", etag), data, 0o644)
		link := filepath.Join(repoDir, "snapshots", commit, "default", "test", "000"+string(rune('0'+i))+".parquet")
		os.MkdirAll(filepath.Dir(link), 0o755)
		if err := os.Symlink("../../../../blobs/"+etag, link); err != nil {
			t.Fatal(err)
		}
		want = append(want, link)
	}
	os.MkdirAll(filepath.Join(repoDir, "refs", "refs", "convert"), 0o755)
	os.WriteFile(filepath.Join(repoDir, "refs", "refs", "convert", "parquet"), []byte(commit), 0o644)
	off := &Client{CacheDir: cache, Offline: true, HTTP: &http.Client{Transport: failTransport{t}}}
	got, err := off.Dataset(context.Background(), Dataset{Repo: "EleutherAI/lambada_openai", Split: "test"})
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("Dataset = %q, %v; want %q", got, err, want)
	}
	if texts2 := readTexts(t, got); !slices.Equal(texts2, texts) {
		t.Errorf("texts %q, want %q", texts2, texts)
	}
}

func TestHubDatasetErrors(t *testing.T) {
	f := newFakeHub(t)
	lambadaRepo(t, f, "EleutherAI/lambada_openai")
	tests := []struct {
		name    string
		d       Dataset
		listing []string // override of default/test
		want    []string
		is      error
	}{
		{name: "unknown repository", d: Dataset{Repo: "nobody/nothing", Split: "test"},
			want: []string{"dataset nobody/nothing", "repository not found"}, is: ErrNotFound},
		{name: "unknown split", d: Dataset{Repo: "EleutherAI/lambada_openai", Split: "train"},
			want: []string{"split train of configuration default not found", "default/test, default/validation"}, is: ErrNotFound},
		{name: "unknown configuration", d: Dataset{Repo: "EleutherAI/lambada_openai", Config: "xx", Split: "test"},
			want: []string{"configuration xx not found", "default/test"}, is: ErrNotFound},
		{name: "bad repository id", d: Dataset{Repo: "../../etc", Split: "test"}, want: []string{"not a Hub repository id"}},
		{name: "bad split name", d: Dataset{Repo: "EleutherAI/lambada_openai", Split: "../x"}, want: []string{`split name "../x"`}},
		{name: "resolve URL with ..", d: Dataset{Repo: "EleutherAI/lambada_openai", Split: "test"},
			listing: []string{"/datasets/EleutherAI/lambada_openai/resolve/refs%2Fconvert%2Fparquet/default/../../../../../../evil.parquet"},
			want:    []string{"escapes the cache directory"}},
		{name: "resolve URL with an escaped ..", d: Dataset{Repo: "EleutherAI/lambada_openai", Split: "test"},
			listing: []string{"/datasets/EleutherAI/lambada_openai/resolve/refs%2Fconvert%2Fparquet/default/..%2F..%2F..%2F..%2Fevil.parquet"},
			want:    []string{"escapes the cache directory"}},
		{name: "absolute path", d: Dataset{Repo: "EleutherAI/lambada_openai", Split: "test"},
			listing: []string{"/datasets/EleutherAI/lambada_openai/resolve/refs%2Fconvert%2Fparquet/%2Fetc%2Fevil.parquet"},
			want:    []string{"escapes the cache directory"}},
		{name: "not a parquet file", d: Dataset{Repo: "EleutherAI/lambada_openai", Split: "test"},
			listing: []string{"/datasets/EleutherAI/lambada_openai/resolve/refs%2Fconvert%2Fparquet/.gitattributes"},
			want:    []string{"not a .parquet file"}},
		{name: "another repository", d: Dataset{Repo: "EleutherAI/lambada_openai", Split: "test"},
			listing: []string{"/datasets/other/repo/resolve/refs%2Fconvert%2Fparquet/default/test/0000.parquet"},
			want:    []string{"not a Parquet file of this dataset"}},
		{name: "another branch", d: Dataset{Repo: "EleutherAI/lambada_openai", Split: "test"},
			listing: []string{"/datasets/EleutherAI/lambada_openai/resolve/main/default/test/0000.parquet"},
			want:    []string{"not a Parquet file of this dataset"}},
		{name: "shard redirecting outside", d: Dataset{Repo: "EleutherAI/lambada_openai", Split: "test"},
			listing: []string{"/api/datasets/EleutherAI/lambada_openai/parquet/default/test/evil.parquet"},
			want:    []string{"escapes the cache directory"}},
		{name: "empty listing", d: Dataset{Repo: "EleutherAI/lambada_openai", Split: "test"}, listing: []string{},
			want: []string{"no Parquet files"}, is: ErrNotFound},
	}
	f.set(func() {
		f.extra["/api/datasets/EleutherAI/lambada_openai/parquet/default/test/evil.parquet"] = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "/datasets/EleutherAI/lambada_openai/resolve/"+url.PathEscape(ParquetRevision)+"/default/%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2Fevil.parquet")
			w.WriteHeader(http.StatusFound)
		}
	})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.mu.Lock()
			f.listing = nil
			if tc.listing != nil {
				l := make([]string, len(tc.listing))
				for i, p := range tc.listing {
					l[i] = f.srv.URL + p
				}
				f.listing = map[string][]string{"default/test": l}
			}
			f.mu.Unlock()
			h := f.hub(t)
			_, err := h.Dataset(context.Background(), tc.d)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v, %v) is false", err, tc.is)
			}
			if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(h.CacheDir), "*evil*")); len(matches) > 0 {
				t.Errorf("files written outside the cache: %q", matches)
			}
		})
	}
}

func TestParseHubDataset(t *testing.T) {
	tests := []struct {
		in   string
		want Dataset
		err  string
	}{
		{"EleutherAI/lambada_openai", Dataset{Repo: "EleutherAI/lambada_openai"}, ""},
		{"EleutherAI/lambada_openai:en", Dataset{Repo: "EleutherAI/lambada_openai", Config: "en"}, ""},
		{"EleutherAI/lambada_openai:default:test", Dataset{"EleutherAI/lambada_openai", "default", "test"}, ""},
		{"glue:sst2:validation", Dataset{"glue", "sst2", "validation"}, ""},
		{"a/b:c:d:e", Dataset{}, "too many ':'"},
		{"a/b/c:x", Dataset{}, "not a Hub repository id"},
		{"a/b:../x", Dataset{}, "config name"},
		{"a/b:x:y/z", Dataset{}, "split name"},
		{"", Dataset{}, "empty repository id"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDataset(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseDataset = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestDatasetString(t *testing.T) {
	tests := []struct {
		d    Dataset
		want string
	}{
		{Dataset{Repo: "EleutherAI/lambada_openai", Split: "test"}, "EleutherAI/lambada_openai (default, test)"},
		{Dataset{Repo: "nyu-mll/glue", Config: "sst2", Split: "validation"}, "nyu-mll/glue (sst2, validation)"},
		{Dataset{Repo: "nyu-mll/glue", Config: "sst2"}, "nyu-mll/glue (sst2)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.d.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
