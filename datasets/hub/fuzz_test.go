package hub

import (
	"path/filepath"
	"strings"
	"testing"
)

// insideDir reports whether joining rel (slash-separated) to a folder stays
// strictly inside that folder.
func insideDir(rel string) bool {
	base := filepath.Join("/cache", "repo")
	p := filepath.Join(base, filepath.FromSlash(rel))
	return strings.HasPrefix(p, base+string(filepath.Separator))
}

// FuzzParseModelSpec checks that an accepted spec gives a cache folder
// that is one path element and a revision that stays under refs/.
func FuzzParseModelSpec(f *testing.F) {
	for _, s := range []string{"gpt2", "openai-community/gpt2-xl", "EleutherAI/gpt-neo-125m@main", "a/b@refs/pr/1",
		"a/b@../../x", "../x", "a//b", "a/b/c", "a--b", "a/b@", "x@y@z", ".a", "a.git", "a/b@v1.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		repo, rev, err := ParseModelSpec(spec)
		if err != nil {
			return
		}
		folder := repoRef{"model", repo}.folder()
		if strings.ContainsAny(folder, `/\`) || !filepath.IsLocal(folder) || folder == "." {
			t.Fatalf("spec %q gives cache folder %q", spec, folder)
		}
		if !insideDir(rev) {
			t.Fatalf("spec %q gives revision %q outside refs/", spec, rev)
		}
	})
}

// FuzzParquetBranchPath checks that a file accepted from a listing URL
// always lands inside the snapshot folder and is a .parquet file.
func FuzzParquetBranchPath(f *testing.F) {
	r := repoRef{"dataset", "o/n"}
	for _, s := range []string{
		"/datasets/o/n/resolve/refs%2Fconvert%2Fparquet/default/test/0000.parquet",
		"/datasets/o/n/resolve/refs%2Fconvert%2Fparquet/default/../../x.parquet",
		"/datasets/o/n/resolve/refs%2Fconvert%2Fparquet/..%2F..%2Fx.parquet",
		"/datasets/o/n/resolve/refs%2Fconvert%2Fparquet/%2Fetc%2Fx.parquet",
		"/datasets/o/n/resolve/refs%2Fconvert%2Fparquet/C:%5Cx.parquet",
		"/datasets/o/n/resolve/main/x.parquet",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		file, ok, err := parquetBranchPath(p, r)
		if !ok || err != nil {
			return
		}
		if !insideDir(file) || !strings.HasSuffix(file, ".parquet") || strings.ContainsAny(file, `\:`) {
			t.Fatalf("path %q accepted as file %q", p, file)
		}
	})
}

// FuzzCheckRepoPath checks that every file path Snapshot.Fetch accepts
// (shard names come from a downloaded index) stays inside the snapshot
// folder.
func FuzzCheckRepoPath(f *testing.F) {
	for _, s := range []string{"model-00001-of-00002.safetensors", "../x", "", "sub/x.safetensors", "/abs", `a\b`, "a/../../b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if checkRepoPath(p) == nil && !insideDir(p) {
			t.Fatalf("path %q accepted", p)
		}
	})
}

// FuzzETag checks that an accepted etag names one file inside blobs/.
func FuzzETag(f *testing.F) {
	for _, s := range []string{`"abc"`, `W/"abc"`, `"../x"`, `""`, `".."`, "a/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		e := normalizeETag(header)
		if validETag(e) && (!insideDir(e) || strings.ContainsAny(e, `/\`) || e == "." || e == "..") {
			t.Fatalf("etag %q from %q accepted", e, header)
		}
	})
}
