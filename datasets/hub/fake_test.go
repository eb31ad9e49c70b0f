package hub

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// fakeHub is a Hugging Face Hub on 127.0.0.1 serving fixture repositories
// in the Hub's URL layout: the model revision API, resolve URLs (git files
// answered directly with their git blob sha1 as ETag; LFS files redirected
// to a CDN on another port with X-Linked-Etag / X-Linked-Size), and the
// dataset Parquet listing with its shard URLs that redirect into
// refs/convert/parquet. Faults can be injected per blob.
type fakeHub struct {
	t   *testing.T
	srv *httptest.Server
	cdn *httptest.Server // another host: LFS blobs by sha256

	mu       sync.Mutex
	repos    map[string]*fakeRepo // "model gpt2", "dataset owner/name"
	aliases  map[string]string    // legacy model id → real id, answered by a relative redirect
	hits     map[string]int       // "HEAD /path", "GET cdn/<sha>" → count
	cdnRange []string             // Range headers received by the CDN
	cdnAuth  []string             // Authorization headers received by the CDN (must stay empty)
	served   int64                // body bytes sent by the CDN

	fail5xx int                                                 // the next n requests to the Hub get 503
	drop    map[string]int                                      // etag → after how many bytes the first GET is cut
	stall   map[string]int                                      // etag → after how many bytes the first GET stops sending
	deny    map[string]int                                      // etag → which CDN GET (1-based) is refused, as an expired URL
	corrupt map[string]bool                                     // etag → serve a body that does not match
	listing map[string][]string                                 // "config/split" → listing override
	gate    func(etag string)                                   // called before the CDN serves a body
	extra   map[string]func(http.ResponseWriter, *http.Request) // path → handler override
}

// fakeRepo is one repository: files per commit, branches to commits.
type fakeRepo struct {
	kind, id   string
	refs       map[string]string               // branch → commit
	files      map[string]map[string]*fakeFile // commit → path → file
	token      string                          // required bearer token; "" when public
	noSiblings bool                            // the revision API omits the file list
}

type fakeFile struct {
	data []byte
	lfs  bool
}

// etag returns the file's etag as the Hub computes it: sha256 for LFS
// files, the git blob sha1 otherwise.
func (f *fakeFile) etag() string {
	if f.lfs {
		s := sha256.Sum256(f.data)
		return hex.EncodeToString(s[:])
	}
	return gitBlobSHA1(f.data)
}

func gitBlobSHA1(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// fakeCommit returns a deterministic 40-hex commit hash for a label.
func fakeCommit(label string) string {
	s := sha1.Sum([]byte(label))
	return hex.EncodeToString(s[:])
}

func newFakeHub(t *testing.T) *fakeHub {
	f := &fakeHub{t: t, repos: map[string]*fakeRepo{}, aliases: map[string]string{}, hits: map[string]int{},
		drop: map[string]int{}, corrupt: map[string]bool{}, stall: map[string]int{}, deny: map[string]int{}, extra: map[string]func(http.ResponseWriter, *http.Request){}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serveHub))
	f.cdn = httptest.NewServer(http.HandlerFunc(f.serveCDN))
	t.Cleanup(f.cdn.Close)
	t.Cleanup(f.srv.Close)
	return f
}

// hub returns a Hub on the fake server with a fresh cache and fast
// retries.
func (f *fakeHub) hub(t *testing.T) *Client {
	return &Client{Endpoint: f.srv.URL, CacheDir: filepath.Join(t.TempDir(), "hub"), retryWait: time.Millisecond}
}

// addRepo adds a repository whose branch "main" (models) or
// refs/convert/parquet (datasets) points to one commit holding files.
func (f *fakeHub) addRepo(kind, id string, files map[string]*fakeFile) *fakeRepo {
	branch := "main"
	if kind == "dataset" {
		branch = ParquetRevision
	}
	commit := fakeCommit(kind + id + branch)
	r := &fakeRepo{kind: kind, id: id, refs: map[string]string{branch: commit}, files: map[string]map[string]*fakeFile{commit: files}}
	f.mu.Lock()
	f.repos[kind+" "+id] = r
	f.mu.Unlock()
	return r
}

func (f *fakeHub) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[key]
}

// lookup finds a repository by kind and id; f.mu is held.
func (f *fakeHub) lookup(kind, id string) *fakeRepo { return f.repos[kind+" "+id] }

// set changes the fake's configuration under its lock.
func (f *fakeHub) set(change func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change()
}

// stats returns the bytes the CDN and the Hub have sent as bodies, and the
// Range and Authorization headers the CDN received.
func (f *fakeHub) stats() (served int64, ranges, auth []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.served, slices.Clone(f.cdnRange), slices.Clone(f.cdnAuth)
}

func notFound(w http.ResponseWriter, code, msg string) {
	w.Header().Set("X-Error-Code", code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// authorized answers 401 and returns false when repo needs a token the
// request lacks.
func authorized(w http.ResponseWriter, r *http.Request, repo *fakeRepo) bool {
	if repo.token == "" || r.Header.Get("Authorization") == "Bearer "+repo.token {
		return true
	}
	if r.Header.Get("Authorization") != "" {
		w.Header().Set("X-Error-Message", "Invalid credentials in Authorization header")
	} else {
		w.Header().Set("X-Error-Code", "RepoNotFound")
	}
	w.WriteHeader(http.StatusUnauthorized)
	return false
}

func (f *fakeHub) serveHub(w http.ResponseWriter, r *http.Request) {
	p := r.URL.EscapedPath()
	// The lock is held while answering, except while serveBody streams;
	// tests change the fake only through set.
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits[r.Method+" "+p]++
	fail := f.fail5xx > 0
	if fail {
		f.fail5xx--
	}
	extra := f.extra[p]
	if fail {
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	if extra != nil {
		extra(w, r)
		return
	}
	switch {
	case strings.HasPrefix(p, "/api/models/"):
		f.serveRevisionAPI(w, r, strings.TrimPrefix(p, "/api/models/"))
	case strings.HasPrefix(p, "/api/datasets/"):
		f.serveParquetAPI(w, r, strings.TrimPrefix(p, "/api/datasets/"))
	case strings.Contains(p, "/resolve/"):
		f.serveResolve(w, r, p)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeHub) serveRevisionAPI(w http.ResponseWriter, r *http.Request, rest string) {
	id, revEsc, ok := strings.Cut(rest, "/revision/")
	rev, _ := url.PathUnescape(revEsc)
	if real, alias := f.aliases[id]; alias {
		id = real
	}
	repo := f.lookup("model", id)
	if !ok || repo == nil {
		notFound(w, "RepoNotFound", "Repository not found")
		return
	}
	if !authorized(w, r, repo) {
		return
	}
	commit := repo.refs[rev]
	if commit == "" && repo.files[rev] != nil {
		commit = rev
	}
	if commit == "" {
		notFound(w, "RevisionNotFound", "Invalid rev id: "+rev)
		return
	}
	info := map[string]any{"id": id, "sha": commit}
	if !repo.noSiblings {
		var sib []map[string]string
		for _, name := range slices.Sorted(maps.Keys(repo.files[commit])) {
			sib = append(sib, map[string]string{"rfilename": name})
		}
		info["siblings"] = sib
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(info)
}

// serveResolve answers /{id}/resolve/{rev}/{file} and
// /datasets/{id}/resolve/{rev}/{file}.
func (f *fakeHub) serveResolve(w http.ResponseWriter, r *http.Request, p string) {
	left, right, _ := strings.Cut(p, "/resolve/")
	kind, id := "model", strings.TrimPrefix(left, "/")
	if rest, ok := strings.CutPrefix(id, "datasets/"); ok {
		kind, id = "dataset", rest
	}
	if real, ok := f.aliases[id]; ok && kind == "model" {
		w.Header().Set("Location", "/"+real+"/resolve/"+right) // relative, as the Hub does for renamed repos
		w.WriteHeader(http.StatusTemporaryRedirect)
		return
	}
	repo := f.lookup(kind, id)
	if repo == nil {
		notFound(w, "RepoNotFound", "Repository not found")
		return
	}
	if !authorized(w, r, repo) {
		return
	}
	revEsc, fileEsc, _ := strings.Cut(right, "/")
	rev, _ := url.PathUnescape(revEsc)
	file, _ := url.PathUnescape(fileEsc)
	commit := repo.refs[rev]
	if commit == "" && repo.files[rev] != nil {
		commit = rev
	}
	if commit == "" {
		notFound(w, "RevisionNotFound", "Invalid rev id: "+rev)
		return
	}
	ff := repo.files[commit][file]
	if ff == nil {
		notFound(w, "EntryNotFound", "Entry not found")
		return
	}
	if r.Method == http.MethodHead {
		f.hits["HEAD "+file]++
	}
	w.Header().Set("X-Repo-Commit", commit)
	if ff.lfs {
		w.Header().Set("X-Linked-Etag", `"`+ff.etag()+`"`)
		w.Header().Set("X-Linked-Size", fmt.Sprint(len(ff.data)))
		w.Header().Set("ETag", `"`+gitBlobSHA1([]byte("pointer "+ff.etag()))+`"`) // the LFS pointer's etag, to be ignored
		w.Header().Set("Location", f.cdn.URL+"/blob/"+ff.etag())
		w.WriteHeader(http.StatusFound)
		return
	}
	w.Header().Set("ETag", `"`+ff.etag()+`"`)
	f.serveBody(w, r, ff)
}

// serveBody sends a file's content with Range support, applying faults.
// It is called with f.mu held and releases it while sending.
func (f *fakeHub) serveBody(w http.ResponseWriter, r *http.Request, ff *fakeFile) {
	etag := ff.etag()
	data := ff.data
	n := f.hits["GET body "+etag] + 1
	if r.Method == http.MethodGet {
		f.hits["GET body "+etag] = n
	}
	corrupt, cut, stall, gate := f.corrupt[etag], f.drop[etag], f.stall[etag], f.gate
	f.mu.Unlock()
	defer f.mu.Lock()
	if corrupt {
		data = bytes.Clone(data)
		data[len(data)/2] ^= 0xff
	}
	if r.Method == http.MethodGet && gate != nil {
		gate(etag)
	}
	if r.Method == http.MethodGet && n == 1 && cut > 0 && r.Header.Get("Range") == "" {
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.WriteHeader(http.StatusOK)
		w.Write(data[:cut])
		w.(http.Flusher).Flush()
		f.mu.Lock()
		f.served += int64(cut)
		f.mu.Unlock()
		panic(http.ErrAbortHandler) // drop the connection mid-body (the deferred Lock restores the caller's lock)
	}
	if r.Method == http.MethodGet && n == 1 && stall > 0 && r.Header.Get("Range") == "" {
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.WriteHeader(http.StatusOK)
		w.Write(data[:stall])
		w.(http.Flusher).Flush()
		<-r.Context().Done() // send nothing more until the client gives up
		return
	}
	cw := &countingWriter{ResponseWriter: w}
	http.ServeContent(cw, r, "", time.Time{}, bytes.NewReader(data))
	f.mu.Lock()
	f.served += cw.n
	f.mu.Unlock()
}

type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.n += int64(n)
	return n, err
}

func (f *fakeHub) serveCDN(w http.ResponseWriter, r *http.Request) {
	etag, ok := strings.CutPrefix(r.URL.Path, "/blob/")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits[r.Method+" cdn/"+etag]++
	if rg := r.Header.Get("Range"); rg != "" {
		f.cdnRange = append(f.cdnRange, rg)
	}
	if a := r.Header.Get("Authorization"); a != "" {
		f.cdnAuth = append(f.cdnAuth, a)
	}
	var ff *fakeFile
	for _, repo := range f.repos {
		for _, files := range repo.files {
			for _, file := range files {
				if file.lfs && file.etag() == etag {
					ff = file
				}
			}
		}
	}
	if !ok || ff == nil {
		http.NotFound(w, r)
		return
	}
	if r.Method == http.MethodGet && f.hits["GET cdn/"+etag] == f.deny[etag] {
		http.Error(w, "Request has expired", http.StatusForbidden)
		return
	}
	f.serveBody(w, r, ff)
}

// serveParquetAPI answers /api/datasets/{id}/parquet[/{config}[/{split}[/{n}.parquet]]].
func (f *fakeHub) serveParquetAPI(w http.ResponseWriter, r *http.Request, rest string) {
	id, tail, ok := strings.Cut(rest, "/parquet")
	repo := f.lookup("dataset", id)
	if !ok || repo == nil {
		notFound(w, "RepoNotFound", "Repository not found")
		return
	}
	if !authorized(w, r, repo) {
		return
	}
	commit := repo.refs[ParquetRevision]
	// config → split → files, in name order
	tree := map[string]map[string][]string{}
	for _, name := range slices.Sorted(maps.Keys(repo.files[commit])) {
		parts := strings.Split(name, "/")
		if len(parts) != 3 {
			continue
		}
		if tree[parts[0]] == nil {
			tree[parts[0]] = map[string][]string{}
		}
		tree[parts[0]][parts[1]] = append(tree[parts[0]][parts[1]], name)
	}
	shardURL := func(config, split string, i int) string {
		return fmt.Sprintf("%s/api/datasets/%s/parquet/%s/%s/%d.parquet", f.srv.URL, id, config, split, i)
	}
	urls := func(config, split string) []string {
		if o, ok := f.listing[config+"/"+split]; ok {
			return o
		}
		var u []string
		for i := range tree[config][split] {
			u = append(u, shardURL(config, split, i))
		}
		return u
	}
	segs := strings.Split(strings.TrimPrefix(tail, "/"), "/")
	var answer any
	switch {
	case tail == "":
		all := map[string]map[string][]string{}
		for c, splits := range tree {
			all[c] = map[string][]string{}
			for s := range splits {
				all[c][s] = urls(c, s)
			}
		}
		answer = all
	case len(segs) == 1 && tree[segs[0]] != nil:
		m := map[string][]string{}
		for s := range tree[segs[0]] {
			m[s] = urls(segs[0], s)
		}
		answer = m
	case len(segs) == 2 && tree[segs[0]][segs[1]] != nil:
		answer = urls(segs[0], segs[1])
	case len(segs) == 3 && tree[segs[0]][segs[1]] != nil:
		var i int
		if _, err := fmt.Sscanf(segs[2], "%d.parquet", &i); err == nil && i < len(tree[segs[0]][segs[1]]) {
			file := tree[segs[0]][segs[1]][i]
			w.Header().Set("Location", f.srv.URL+"/datasets/"+id+"/resolve/"+url.PathEscape(ParquetRevision)+"/"+file)
			w.WriteHeader(http.StatusFound)
			return
		}
		notFound(w, "", "Not found")
		return
	default:
		notFound(w, "", "Not found")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(answer)
}

// sharedFile reads a file of the shared data, skipping when it is absent.
func sharedFile(t *testing.T, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(sharedtest.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
