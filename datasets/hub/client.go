package hub

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultEndpoint is the Hugging Face Hub's address, used when HF_ENDPOINT
// is not set.
const DefaultEndpoint = "https://huggingface.co"

// Client downloads models and datasets from the Hugging Face Hub into the
// cache layout huggingface_hub uses (see docs/hub.md), so that files
// fetched by Python tools are reused and the other way round:
//
//	<CacheDir>/models--<owner>--<name>/blobs/<etag>              file contents
//	<CacheDir>/models--<owner>--<name>/refs/<revision>           commit hash
//	<CacheDir>/models--<owner>--<name>/snapshots/<commit>/<file> → ../../blobs/<etag>
//	<CacheDir>/.locks/models--<owner>--<name>/<etag>.lock
//
// The zero value is not usable; build one with FromEnv or fill in
// Endpoint and CacheDir. Methods may be called from several goroutines and
// several processes at once: a blob is downloaded under a file lock, and a
// second caller waits for it and then reuses it.
type Client struct {
	Endpoint string       // base URL without a trailing slash, e.g. "https://huggingface.co"
	Token    string       // access token, sent as "Authorization: Bearer …" to Endpoint's host only; never printed
	CacheDir string       // the hub cache directory, e.g. ~/.cache/huggingface/hub
	Offline  bool         // use the cache only and make no network request (HF_HUB_OFFLINE=1)
	HTTP     *http.Client // nil means a client with a 60 s response-header timeout
	Progress io.Writer    // where progress of downloads over 4 MB (10^6 bytes) is shown; nil means silent

	retryWait   time.Duration // first wait between retries; 0 means 500 ms (tests shorten it)
	progressMin int64         // smallest download shown on Progress, in bytes; 0 means 4 MB
	stallAfter  time.Duration // a download receiving nothing for this long is retried; 0 means 60 s
}

// String describes h without its token, so that printing a Hub with %v
// never reveals the token.
func (h *Client) String() string {
	tok := "none"
	if h.Token != "" {
		tok = "set"
	}
	return fmt.Sprintf("hub.Client{Endpoint: %s, CacheDir: %s, Offline: %t, Token: %s}", h.Endpoint, h.CacheDir, h.Offline, tok)
}

// GoString is String, so that %#v hides the token too.
func (h *Client) GoString() string { return h.String() }

// FromEnv builds a Hub from the environment variables huggingface_hub
// reads:
//
//   - HF_ENDPOINT: the Hub's URL (default https://huggingface.co);
//   - HF_HUB_CACHE (or the older HUGGINGFACE_HUB_CACHE): the cache
//     directory; else $HF_HOME/hub, with HF_HOME defaulting to
//     $XDG_CACHE_HOME/huggingface or ~/.cache/huggingface;
//   - HF_TOKEN, else HUGGING_FACE_HUB_TOKEN, else the file $HF_TOKEN_PATH
//     (default $HF_HOME/token) written by `hf auth login`;
//   - HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) set to 1, true, yes or on:
//     use the cache only;
//   - HF_HUB_DISABLE_PROGRESS_BARS set to a true value: no progress
//     output; otherwise progress goes to standard error.
func FromEnv() (*Client, error) {
	h := &Client{Endpoint: DefaultEndpoint, Progress: os.Stderr}
	if e := strings.TrimSpace(os.Getenv("HF_ENDPOINT")); e != "" {
		u, err := url.Parse(e)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("HF_ENDPOINT %q is not an http(s) URL (want e.g. https://huggingface.co)", e)
		}
		h.Endpoint = strings.TrimRight(e, "/")
	}
	home := expandHome(os.Getenv("HF_HOME"))
	if home == "" {
		base := expandHome(os.Getenv("XDG_CACHE_HOME"))
		if base == "" {
			uh, err := os.UserHomeDir()
			if err != nil {
				return nil, fmt.Errorf("cannot find the Hugging Face cache: %v (set HF_HOME or HF_HUB_CACHE)", err)
			}
			base = filepath.Join(uh, ".cache")
		}
		home = filepath.Join(base, "huggingface")
	}
	h.CacheDir = expandHome(firstEnv("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"))
	if h.CacheDir == "" {
		h.CacheDir = filepath.Join(home, "hub")
	}
	h.Token = firstEnv("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
	if h.Token == "" {
		path := expandHome(os.Getenv("HF_TOKEN_PATH"))
		if path == "" {
			path = filepath.Join(home, "token")
		}
		data, err := os.ReadFile(path)
		switch {
		case err == nil:
			h.Token = strings.TrimSpace(string(data))
		case !errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("reading the Hugging Face token: %v (fix the file's permissions, or set HF_TOKEN)", err)
		}
	}
	h.Offline = envTrue(firstEnv("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))
	if envTrue(os.Getenv("HF_HUB_DISABLE_PROGRESS_BARS")) {
		h.Progress = nil
	}
	return h, nil
}

// firstEnv returns the first non-empty value among the named variables,
// with surrounding space removed.
func firstEnv(names ...string) string {
	for _, n := range names {
		if v := strings.TrimSpace(os.Getenv(n)); v != "" {
			return v
		}
	}
	return ""
}

// envTrue reports whether v is a true value as huggingface_hub reads
// boolean variables: 1, on, yes or true in any case.
func envTrue(v string) bool {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "1", "ON", "YES", "TRUE":
		return true
	}
	return false
}

// expandHome replaces a leading "~" (alone or followed by a separator) by
// the user's home directory, as Python's os.path.expanduser does.
func expandHome(p string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") && !strings.HasPrefix(p, `~\`) {
		return p
	}
	uh, err := os.UserHomeDir()
	if err != nil {
		return p
	}
	return filepath.Join(uh, p[1:])
}

// ErrNotFound is matched by errors.Is for a *Error about a repository,
// revision, configuration, split or file the Hub does not have (HTTP 404).
var ErrNotFound = errors.New("not found on the Hub")

// ErrNotCached is matched by errors.Is for a *Error raised in offline
// mode when what was asked for is not in the cache.
var ErrNotCached = errors.New("not in the cache")

// ErrChecksum is matched by errors.Is for a *Error about a download
// whose size or hash differs from what the Hub announced.
var ErrChecksum = errors.New("checksum mismatch")

// Error reports a failure to get something from the Hub or its cache,
// e.g. `model gpt2 (file model.safetensors): repository or file not found
// (HTTP 404)`. It never contains the access token.
type Error struct {
	Repo   string // "model gpt2", "dataset EleutherAI/lambada_openai"
	File   string // file in the repository; "" when about the repository as a whole
	Status int    // HTTP status of the failed request; 0 when there was none
	Msg    string // what went wrong, lower-case
	Hint   string // how to fix it, when known; may be empty
	Err    error  // cause: ErrNotFound, ErrNotCached, ErrChecksum, a network error, …; may be nil

	code   string // the Hub's X-Error-Code ("RepoNotFound", "EntryNotFound", …), when given
	absent bool   // a file the repository (or the offline cache) does not have
}

// Error formats the error as `repo (file F): msg (HTTP n) (hint)`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Repo)
	if e.File != "" {
		b.WriteString(" (file " + e.File + ")")
	}
	b.WriteString(": " + e.Msg)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Hint != "" {
		b.WriteString(" (" + e.Hint + ")")
	}
	return b.String()
}

// Unwrap returns the cause, for errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is fs.ErrNotExist and the error is about a
// file that Snapshot.Fetch found absent, so that callers outside this
// package can tell optional files apart without importing it.
func (e *Error) Is(target error) bool { return target == fs.ErrNotExist && e.absent }

// userAgent identifies kshot to the Hub.
const userAgent = "kshot (+https://github.com/kshot-eval/kshot)"

// client returns the HTTP client to use.
func (h *Client) client() *http.Client {
	if h.HTTP != nil {
		return h.HTTP
	}
	return defaultHTTP
}

var defaultHTTP = func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = 60 * time.Second
	return &http.Client{Transport: t}
}()

// noRedirect returns a copy of the client that hands 3xx responses back
// instead of following them.
func (h *Client) noRedirect() *http.Client {
	c := *h.client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// newRequest builds a request with kshot's User-Agent, and the bearer
// token when the URL is on the endpoint's host (never on a CDN the Hub
// redirects to).
func (h *Client) newRequest(ctx context.Context, method, rawURL string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", userAgent)
	if h.Token != "" && h.onEndpoint(rawURL) {
		req.Header.Set("Authorization", "Bearer "+h.Token)
	}
	return req, nil
}

// attempts is how many times a request is tried before its error is
// returned.
const attempts = 5

// wait sleeps before retry number n (1-based): 0.5 s, 1 s, 2 s, 4 s, …,
// at most 8 s, or returns the context's error.
func (h *Client) wait(ctx context.Context, n int) error {
	d := h.retryWait
	if d == 0 {
		d = 500 * time.Millisecond
	}
	d <<= n - 1
	if d > 8*time.Second {
		d = 8 * time.Second
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryableStatus reports whether a response status is worth retrying:
// rate limiting and server errors.
func retryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500
}

// retryableErr reports whether a transport error is worth retrying: a
// network failure (refused or reset connection, timeout, truncated
// response), but not a cancelled context, a name that does not resolve, a
// certificate the system does not trust or an unusable URL.
func retryableErr(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var dns *net.DNSError
	var cert *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	switch {
	case errors.As(err, &dns) && dns.IsNotFound,
		errors.As(err, &cert), errors.As(err, &unknownCA), errors.As(err, &hostname):
		return false
	}
	var ue *url.Error
	if errors.As(err, &ue) && strings.Contains(ue.Err.Error(), "unsupported protocol") {
		return false
	}
	return true
}

// send performs a request built by build, retrying network errors and
// retryable statuses with backoff. The caller closes the body. A response
// with another error status is returned as is.
func (h *Client) send(ctx context.Context, c *http.Client, build func() (*http.Request, error)) (*http.Response, error) {
	var last error
	for n := 1; ; n++ {
		req, err := build()
		if err != nil {
			return nil, err
		}
		resp, err := c.Do(req)
		switch {
		case err != nil && !retryableErr(ctx, err):
			return nil, err
		case err != nil:
			last = err
		case retryableStatus(resp.StatusCode) && n < attempts:
			drain(resp)
			last = nil
		default:
			return resp, nil
		}
		if n >= attempts {
			return nil, last
		}
		if err := h.wait(ctx, n); err != nil {
			return nil, err
		}
	}
}

// drain discards the rest of a response body (a little of it) and closes
// it, so that the connection can be reused.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// statusError turns an HTTP error response into a *Error naming repo
// and file, using the Hub's X-Error-Code and X-Error-Message headers when
// present. It consumes the body.
func (h *Client) statusError(resp *http.Response, repo, file string) *Error {
	msg := resp.Header.Get("X-Error-Message")
	if msg == "" {
		msg = bodyMessage(resp)
	} else {
		drain(resp)
	}
	e := &Error{Repo: repo, File: file, Status: resp.StatusCode, code: resp.Header.Get("X-Error-Code")}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		if e.code == "RepoNotFound" {
			e.Err = ErrNotFound
		}
		e.Msg = "unauthorized: the repository does not exist, or is private or gated"
		e.Hint = "set HF_TOKEN to an access token of an account that can read it; tokens are made at https://huggingface.co/settings/tokens"
		if h.Token != "" {
			e.Hint = "the token in HF_TOKEN (or the token file) was refused: check that it is valid and can read this repository"
		}
	case resp.StatusCode == http.StatusForbidden:
		e.Msg = "access denied: the repository is gated or the token lacks permission"
		e.Hint = "accept the repository's conditions on its Hub page with the account whose token is in HF_TOKEN"
	case resp.StatusCode == http.StatusNotFound:
		e.Err = ErrNotFound
		switch e.code {
		case "RepoNotFound":
			e.Msg = "repository not found"
			e.File = ""
			e.Hint = "check the id on https://huggingface.co; a private repository also needs HF_TOKEN"
		case "RevisionNotFound":
			e.Msg = "revision not found"
			e.Hint = "check the branch, tag or commit after @"
		case "EntryNotFound":
			e.Msg = "file not found in the repository"
		default:
			e.Msg = "repository or file not found"
		}
	default:
		e.Msg = "request failed"
	}
	if msg != "" && resp.StatusCode != http.StatusNotFound {
		e.Msg += ": " + msg
	}
	return e
}

// bodyMessage extracts a short message from an error response body: the
// "error" field of a JSON object, or up to 200 bytes of one-line text. It
// closes the body.
func bodyMessage(resp *http.Response) string {
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	var obj struct {
		Error string `json:"error"`
	}
	s := strings.TrimSpace(string(data))
	if json.Unmarshal(data, &obj) == nil && obj.Error != "" {
		s = obj.Error
	}
	if strings.ContainsAny(s, "<\n{") {
		return "" // an HTML page, JSON without "error" or a long text: not useful in one line
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// netError wraps a network failure after its retries.
func netError(repo, file, endpoint string, err error) *Error {
	return &Error{Repo: repo, File: file, Msg: "cannot reach the Hub: " + err.Error(), Err: err,
		Hint: fmt.Sprintf("check the network and HF_ENDPOINT (%s), or set HF_HUB_OFFLINE=1 to use the cache only", endpoint)}
}

// parseSize parses a Content-Length or X-Linked-Size value; -1 when absent
// or malformed.
func parseSize(v string) int64 {
	if v == "" {
		return -1
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}
