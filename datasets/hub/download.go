package hub

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// fileMeta is what a HEAD request on a file's resolve URL tells.
type fileMeta struct {
	commit   string // X-Repo-Commit: the commit the revision resolved to
	etag     string // X-Linked-Etag (LFS: the sha256) or ETag (git: the blob's sha1), unquoted
	size     int64  // X-Linked-Size or Content-Length, in bytes; -1 when unknown
	location string // where to GET the content: the resolve URL, or the CDN it redirects to
}

// resolveURL returns {endpoint}/{prefix}{repo}/resolve/{rev}/{file}, with
// the revision escaped as one path element ("refs%2Fconvert%2Fparquet").
func (h *Client) resolveURL(r repoRef, rev, file string) string {
	segs := strings.Split(file, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return h.Endpoint + "/" + r.urlPrefix() + r.id + "/resolve/" + url.PathEscape(rev) + "/" + strings.Join(segs, "/")
}

// fileMetadata asks the Hub for a file's commit, etag, size and download
// location with a HEAD request, as huggingface_hub does: redirects to a
// relative URL (a renamed repository, a legacy id such as "gpt2") are
// followed, a redirect elsewhere (the CDN holding LFS files) is not but
// becomes the download location.
func (h *Client) fileMetadata(ctx context.Context, r repoRef, rev, file string) (fileMeta, error) {
	cur := h.resolveURL(r, rev, file)
	c := h.noRedirect()
	var resp *http.Response
	for hops := 0; ; hops++ {
		u := cur
		var err error
		resp, err = h.send(ctx, c, func() (*http.Request, error) {
			req, err := h.newRequest(ctx, http.MethodHead, u)
			if err == nil {
				req.Header.Set("Accept-Encoding", "identity")
			}
			return req, err
		})
		if err != nil {
			if ctx.Err() != nil {
				return fileMeta{}, ctx.Err()
			}
			return fileMeta{}, netError(r.String(), file, h.Endpoint, err)
		}
		if resp.StatusCode < 300 || resp.StatusCode > 399 || hops >= 5 {
			break
		}
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || loc.Host != "" {
			break
		}
		resp.Body.Close()
		base, _ := url.Parse(u)
		cur = base.ResolveReference(loc).String()
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return fileMeta{}, h.statusError(resp, r.String(), file)
	}
	m := fileMeta{commit: resp.Header.Get("X-Repo-Commit"), size: -1, location: cur}
	etag := resp.Header.Get("X-Linked-Etag")
	if etag == "" {
		etag = resp.Header.Get("ETag")
	}
	m.etag = normalizeETag(etag)
	if s := parseSize(resp.Header.Get("X-Linked-Size")); s >= 0 {
		m.size = s
	} else if resp.StatusCode == http.StatusOK {
		m.size = parseSize(resp.Header.Get("Content-Length"))
	}
	if resp.StatusCode >= 300 {
		base, _ := url.Parse(cur)
		loc, err := base.Parse(resp.Header.Get("Location"))
		if err != nil || (loc.Scheme != "http" && loc.Scheme != "https") {
			return fileMeta{}, &Error{Repo: r.String(), File: file, Status: resp.StatusCode, Msg: "the Hub redirected to an unusable location"}
		}
		m.location = loc.String()
	}
	if !validETag(m.etag) {
		return fileMeta{}, &Error{Repo: r.String(), File: file, Msg: fmt.Sprintf("the Hub sent no usable ETag (%q), so the file cannot be cached", etag),
			Hint: "if HF_ENDPOINT points to a mirror, it must pass on the Hub's ETag, X-Linked-Etag and X-Repo-Commit headers"}
	}
	if m.commit == "" && isCommit(rev) {
		m.commit = rev
	}
	if !isCommit(m.commit) {
		return fileMeta{}, &Error{Repo: r.String(), File: file, Msg: fmt.Sprintf("the Hub sent no commit hash for revision %q (X-Repo-Commit %q)", rev, m.commit),
			Hint: "if HF_ENDPOINT points to a mirror, it must pass on the Hub's X-Repo-Commit header"}
	}
	return m, nil
}

// normalizeETag removes the weak marker and the quotes of an ETag header.
func normalizeETag(etag string) string {
	etag = strings.TrimPrefix(strings.TrimSpace(etag), "W/")
	return strings.Trim(etag, `"`)
}

// validETag reports whether an etag can name a blob file: 1 to 128
// letters, digits, '-', '_' or '.', not starting with '.'.
func validETag(etag string) bool {
	if etag == "" || len(etag) > 128 || etag[0] == '.' {
		return false
	}
	for _, c := range []byte(etag) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// isEntryNotFound reports whether err is the Hub saying that a file does
// not exist (HTTP 404), as opposed to its repository or revision.
func isEntryNotFound(err error) bool {
	var he *Error
	return errors.As(err, &he) && he.Status == http.StatusNotFound && he.code != "RepoNotFound" && he.code != "RevisionNotFound"
}

// fetch makes file of revision rev available in the snapshot of its
// commit and returns the snapshot path and the commit. A file already in
// the snapshot of a commit is used without any request; otherwise a HEAD
// request finds its blob, which is downloaded unless already present.
func (h *Client) fetch(ctx context.Context, r repoRef, rev, file string) (string, string, error) {
	if isCommit(rev) {
		if p, ok := h.cached(r, rev, file); ok {
			return p, rev, nil
		}
		if h.knownMissing(r, rev, file) {
			return "", rev, &Error{Repo: r.String(), File: file, Status: http.StatusNotFound,
				Msg: "file not found in the repository", Err: ErrNotFound}
		}
	}
	m, err := h.fileMetadata(ctx, r, rev, file)
	if err != nil {
		if isCommit(rev) && isEntryNotFound(err) {
			h.markMissing(r, rev, file)
		}
		return "", "", err
	}
	if p, ok := h.cached(r, m.commit, file); ok {
		return p, m.commit, nil
	}
	if err := h.download(ctx, r, file, m); err != nil {
		return "", "", err
	}
	p, err := h.link(r, m.commit, file, m.etag)
	if err != nil {
		return "", "", &Error{Repo: r.String(), File: file, Msg: "cannot write the snapshot: " + err.Error(), Err: err}
	}
	return p, m.commit, nil
}

// retryable marks a download error worth another attempt.
type retryable struct{ err error }

func (e retryable) Error() string { return e.err.Error() }
func (e retryable) Unwrap() error { return e.err }

// download puts the blob described by m into blobs/<etag>: under the
// blob's lock, into blobs/<etag>.incomplete, resuming what an interrupted
// run left there, retrying network failures with backoff, checking size
// and hash, then renaming it into place. A download that fails its check
// is deleted and started over once; then the error is returned. A blob
// that another process finished while this one waited for the lock is
// reused.
func (h *Client) download(ctx context.Context, r repoRef, file string, m fileMeta) error {
	fail := func(err error) error {
		var he *Error
		if errors.As(err, &he) || ctx.Err() != nil {
			return err
		}
		return &Error{Repo: r.String(), File: file, Msg: "cannot download: " + err.Error(), Err: err}
	}
	blobs := filepath.Join(h.repoDir(r), "blobs")
	blob := filepath.Join(blobs, m.etag)
	if blobComplete(blob, m.size) {
		return nil
	}
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return fail(err)
	}
	lk, err := lockFile(ctx, filepath.Join(h.CacheDir, ".locks", r.folder(), m.etag+".lock"), func() {
		if h.Progress != nil {
			fmt.Fprintf(h.Progress, "kshot: waiting for another process downloading %s %s\n", r, file)
		}
	})
	if err != nil {
		return fail(err)
	}
	defer lk.unlock()
	if blobComplete(blob, m.size) {
		return nil
	}
	part := blob + ".incomplete"
	restarted, refreshed := false, false
	for n := 1; ; n++ {
		err := h.getOnce(ctx, r, file, m, part, lk)
		if err == nil {
			err = verifyBlob(part, m)
			if err == nil {
				if err := os.Chmod(part, 0o644); err != nil {
					return fail(err)
				}
				if err := os.Rename(part, blob); err != nil {
					return fail(err)
				}
				return nil
			}
		}
		if errors.Is(err, ErrChecksum) {
			os.Remove(part)
			if restarted {
				return &Error{Repo: r.String(), File: file, Msg: err.Error(), Err: ErrChecksum,
					Hint: "the download was corrupted twice and deleted; run again, and check any proxy or mirror (HF_ENDPOINT) in between"}
			}
			restarted = true
			continue
		}
		var he *Error
		if errors.As(err, &he) && !refreshed && !h.onEndpoint(m.location) &&
			(he.Status == http.StatusForbidden || he.Status == http.StatusUnauthorized || he.Status == http.StatusNotFound) {
			// The CDN's signed URL may have expired during a long
			// download: ask the Hub for a fresh one, once.
			refreshed = true
			if fresh, ferr := h.fileMetadata(ctx, r, m.commit, file); ferr == nil && fresh.etag == m.etag {
				m.location = fresh.location
				continue
			}
		}
		var re retryable
		if !errors.As(err, &re) || ctx.Err() != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fail(err)
		}
		if n >= attempts {
			return netError(r.String(), file, h.Endpoint, re.err)
		}
		if err := h.wait(ctx, n); err != nil {
			return err
		}
	}
}

// blobComplete reports whether the blob exists with the expected size
// (any size when unknown).
func blobComplete(blob string, size int64) bool {
	fi, err := os.Stat(blob)
	return err == nil && fi.Mode().IsRegular() && (size < 0 || fi.Size() == size)
}

// getOnce makes one GET request for the blob, appending to the partial
// file from its current length with a Range request. It returns nil when
// the expected number of bytes is there, a retryable error for network
// failures, truncated bodies and server errors, and any other error as
// final.
func (h *Client) getOnce(ctx context.Context, r repoRef, file string, m fileMeta, part string, lk *fileLock) error {
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	off, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	if m.size >= 0 && off > m.size {
		off = 0
	}
	if m.size >= 0 && off == m.size {
		return nil
	}
	// A connection that stops sending is cancelled after stallAfter
	// without data, and retried.
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	idle := h.stallAfter
	if idle == 0 {
		idle = 60 * time.Second
	}
	var stalled atomic.Bool
	watchdog := time.AfterFunc(idle, func() { stalled.Store(true); cancel() })
	defer watchdog.Stop()
	req, err := h.newRequest(rctx, http.MethodGet, m.location)
	if err != nil {
		return err
	}
	req.Header.Set("Accept-Encoding", "identity")
	if off > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(off, 10)+"-")
	}
	resp, err := h.client().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return retryable{err}
	}
	defer resp.Body.Close()
	watchdog.Reset(idle)
	switch {
	case resp.StatusCode == http.StatusPartialContent && off > 0:
		if start, ok := rangeStart(resp.Header.Get("Content-Range")); !ok || start != off {
			f.Truncate(0)
			return retryable{fmt.Errorf("the server answered a range request for byte %d with %q", off, resp.Header.Get("Content-Range"))}
		}
	case resp.StatusCode == http.StatusOK:
		off = 0 // a full body: the server ignored the Range header, or none was sent
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		f.Truncate(0)
		return retryable{errors.New("the server refused to resume the partial download; starting over")}
	case retryableStatus(resp.StatusCode):
		return retryable{fmt.Errorf("server error: HTTP %d", resp.StatusCode)}
	default:
		return h.statusError(resp, r.String(), file)
	}
	if err := f.Truncate(off); err != nil {
		return err
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return err
	}
	p := h.newProgress(r, file, off, m.size, lk)
	n, err := io.Copy(io.MultiWriter(f, p), &idleReader{resp.Body, watchdog, idle})
	if err != nil && stalled.Load() && ctx.Err() == nil {
		err = fmt.Errorf("no data received for %v", idle)
	}
	p.finish(err)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var pe *os.PathError
		if errors.As(err, &pe) {
			return err // the disk, not the network
		}
		return retryable{err}
	}
	got := off + n
	switch {
	case m.size >= 0 && got < m.size:
		return retryable{fmt.Errorf("connection closed after %d of %d bytes: %w", got, m.size, io.ErrUnexpectedEOF)}
	case m.size >= 0 && got > m.size:
		return fmt.Errorf("%w: received %d bytes, the Hub announced %d", ErrChecksum, got, m.size)
	}
	return f.Sync()
}

// idleReader re-arms a watchdog timer each time data arrives.
type idleReader struct {
	r     io.Reader
	timer *time.Timer
	idle  time.Duration
}

func (ir *idleReader) Read(b []byte) (int, error) {
	n, err := ir.r.Read(b)
	if n > 0 {
		ir.timer.Reset(ir.idle)
	}
	return n, err
}

// onEndpoint reports whether a URL is on the endpoint's host.
func (h *Client) onEndpoint(rawURL string) bool {
	u, err1 := url.Parse(rawURL)
	ep, err2 := url.Parse(h.Endpoint)
	return err1 == nil && err2 == nil && strings.EqualFold(u.Host, ep.Host)
}

// rangeStart parses the first byte of a Content-Range header
// ("bytes 100-199/200").
func rangeStart(v string) (int64, bool) {
	rest, ok := strings.CutPrefix(v, "bytes ")
	if !ok {
		return 0, false
	}
	first, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(first, 10, 64)
	return n, err == nil
}

// verifyBlob checks a finished download against what the Hub announced:
// its size, and its hash when the etag is one, the sha256 of the content
// for LFS files (64 hex digits) or the git blob hash (sha1 of "blob
// <size>\x00" and the content) for files stored in git (40 hex digits).
func verifyBlob(path string, m fileMeta) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if m.size >= 0 && fi.Size() != m.size {
		return fmt.Errorf("%w: received %d bytes, the Hub announced %d", ErrChecksum, fi.Size(), m.size)
	}
	if _, err := hex.DecodeString(m.etag); err != nil {
		return nil // not a hash: nothing more to check
	}
	var hs hash.Hash
	kind := ""
	switch len(m.etag) {
	case 64:
		hs, kind = sha256.New(), "sha256"
	case 40:
		hs, kind = sha1.New(), "git blob sha1"
		fmt.Fprintf(hs, "blob %d\x00", fi.Size())
	default:
		return nil
	}
	if _, err := io.Copy(hs, f); err != nil {
		return err
	}
	if got := hex.EncodeToString(hs.Sum(nil)); got != strings.ToLower(m.etag) {
		return fmt.Errorf("%w: %s of the download is %s, the Hub announced %s", ErrChecksum, kind, got, m.etag)
	}
	return nil
}
