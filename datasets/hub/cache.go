package hub

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// This file lays out the cache exactly as huggingface_hub does
// (https://huggingface.co/docs/hub/local-cache): one folder per repository
// named <kind>s--<owner>--<name>, file contents in blobs/<etag>, one
// snapshots/<commit>/ tree of relative symlinks per commit, refs/<revision>
// holding a commit hash, .no_exist/<commit>/<file> marking files known to
// be absent, and lock files in <cache>/.locks/<repo folder>/<etag>.lock.

// repoRef names a repository of the Hub.
type repoRef struct {
	kind string // "model" or "dataset"
	id   string // "gpt2", "EleutherAI/lambada_openai"
}

// String returns "model gpt2" or "dataset EleutherAI/lambada_openai".
func (r repoRef) String() string { return r.kind + " " + r.id }

// folder returns the repository's folder name in the cache:
// "models--gpt2", "datasets--EleutherAI--lambada_openai".
func (r repoRef) folder() string {
	return r.kind + "s--" + strings.ReplaceAll(r.id, "/", "--")
}

// urlPrefix returns the path prefix of the repository's URLs on the Hub:
// "" for models, "datasets/" for datasets.
func (r repoRef) urlPrefix() string {
	if r.kind == "model" {
		return ""
	}
	return r.kind + "s/"
}

// repoDir returns the repository's folder in the cache.
func (h *Client) repoDir(r repoRef) string { return filepath.Join(h.CacheDir, r.folder()) }

// snapshotDir returns the folder of the files of commit.
func (h *Client) snapshotDir(r repoRef, commit string) string {
	return filepath.Join(h.repoDir(r), "snapshots", commit)
}

// refPath returns the file holding the commit of a branch or tag; a
// revision with slashes ("refs/convert/parquet") nests folders.
func (h *Client) refPath(r repoRef, rev string) string {
	return filepath.Join(h.repoDir(r), "refs", filepath.FromSlash(rev))
}

// isCommit reports whether rev is a full commit hash: 40 lower-case hex
// digits.
func isCommit(rev string) bool {
	if len(rev) != 40 {
		return false
	}
	for _, c := range []byte(rev) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// readRef returns the commit a branch or tag pointed to when last
// resolved, or rev itself when it is a commit hash.
func (h *Client) readRef(r repoRef, rev string) (string, error) {
	if isCommit(rev) {
		return rev, nil
	}
	p := h.refPath(r, rev)
	data, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	commit := strings.TrimSpace(string(data))
	if !isCommit(commit) {
		return "", fmt.Errorf("%s does not hold a commit hash (the cache is damaged: delete the file)", p)
	}
	return commit, nil
}

// writeRef records that rev points to commit, replacing the file
// atomically, unless rev is itself a commit or the file already says so.
// The snapshot folder must exist first: huggingface_hub treats a ref to a
// missing snapshot as a damaged cache.
func (h *Client) writeRef(r repoRef, rev, commit string) error {
	if rev == commit {
		return nil
	}
	p := h.refPath(r, rev)
	if old, err := os.ReadFile(p); err == nil && string(old) == commit {
		return nil
	}
	if err := os.MkdirAll(h.snapshotDir(r, commit), 0o755); err != nil {
		return err
	}
	return writeFileAtomic(p, h.repoDir(r), []byte(commit))
}

// writeFileAtomic writes data to a temporary file in tmpDir (on the same
// file system) and renames it over p, so that readers see the old or the
// new content, never a part. The temporary file is kept out of p's folder
// because huggingface_hub reads every file under refs/ as a ref.
func writeFileAtomic(p, tmpDir string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(tmpDir, ".tmp-"+filepath.Base(p)+"-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// pointerPath returns where file of commit appears in the snapshot. file
// must have passed checkRepoPath.
func (h *Client) pointerPath(r repoRef, commit, file string) string {
	return filepath.Join(h.snapshotDir(r, commit), filepath.FromSlash(file))
}

// cached returns the snapshot path of file at commit when it is there and
// its blob too (a dangling link does not count).
func (h *Client) cached(r repoRef, commit, file string) (string, bool) {
	p := h.pointerPath(r, commit, file)
	fi, err := os.Stat(p)
	return p, err == nil && fi.Mode().IsRegular()
}

// noExistPath returns the marker of a file known to be absent at commit.
func (h *Client) noExistPath(r repoRef, commit, file string) string {
	return filepath.Join(h.repoDir(r), ".no_exist", commit, filepath.FromSlash(file))
}

// markMissing records that file does not exist at commit, as an empty
// marker file. Failing to write it is harmless and ignored.
func (h *Client) markMissing(r repoRef, commit, file string) {
	p := h.noExistPath(r, commit, file)
	if os.MkdirAll(filepath.Dir(p), 0o755) == nil {
		if f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE, 0o644); err == nil {
			f.Close()
		}
	}
}

// knownMissing reports whether file was recorded as absent at commit.
func (h *Client) knownMissing(r repoRef, commit, file string) bool {
	_, err := os.Stat(h.noExistPath(r, commit, file))
	return err == nil
}

// link points snapshots/<commit>/<file> at blobs/<etag> with a relative
// symlink ("../../blobs/<etag>", one more "../" per folder in file),
// replacing whatever was there atomically. Where symlinks are not
// available (some Windows setups) the blob is copied instead, as
// huggingface_hub does.
func (h *Client) link(r repoRef, commit, file, etag string) (string, error) {
	dst := h.pointerPath(r, commit, file)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", err
	}
	depth := strings.Count(file, "/") + 2 // snapshots/<commit>/[dirs/]file → repo folder
	target := strings.Repeat("../", depth) + "blobs/" + etag
	if cur, err := os.Readlink(dst); err == nil && cur == filepath.FromSlash(target) {
		return dst, nil
	}
	// A unique temporary name: another process may be linking the same
	// file at the same moment.
	tmp := filepath.Join(filepath.Dir(dst), ".tmp-link-"+rand.Text())
	if err := os.Symlink(filepath.FromSlash(target), tmp); err == nil {
		if err := os.Rename(tmp, dst); err != nil {
			os.Remove(tmp)
			return "", err
		}
		return dst, nil
	}
	if err := copyFile(filepath.Join(h.repoDir(r), "blobs", etag), tmp); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return dst, nil
}

// copyFile copies src to a new file dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// checkRepoID validates a repository id the way the Hub does: a name, or
// owner/name, of letters, digits, '-', '_' and '.', at most 96
// characters, without "--" or "..", not starting or ending with '-' or
// '.'. This also guarantees that the cache folder name stays one path
// element.
func checkRepoID(id string) error {
	if id == "" {
		return errors.New("empty repository id")
	}
	if len(id) > 96 {
		return errors.New("repository id longer than 96 characters")
	}
	parts := strings.Split(id, "/")
	if len(parts) > 2 {
		return errors.New("too many '/'")
	}
	if strings.Contains(id, "--") || strings.Contains(id, "..") {
		return errors.New(`"--" and ".." are not allowed`)
	}
	for _, p := range parts {
		if p == "" {
			return errors.New("empty owner or name")
		}
		for _, c := range []byte(p) {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
				return fmt.Errorf("character %q is not allowed (only letters, digits, '-', '_' and '.')", rune(c))
			}
		}
		if strings.ContainsAny(p[:1], "-.") || strings.ContainsAny(p[len(p)-1:], "-.") {
			return errors.New("owner and name may not start or end with '-' or '.'")
		}
	}
	if strings.HasSuffix(id, ".git") {
		return errors.New(`a repository id does not end with ".git"`)
	}
	return nil
}

// checkRepoPath validates a file path inside a repository (forward
// slashes): relative, without empty, "." or ".." elements, backslashes,
// colons or control characters, so that joined to a cache folder it stays
// inside it on every OS.
func checkRepoPath(p string) error {
	if p == "" {
		return errors.New("empty path")
	}
	if strings.HasPrefix(p, "/") {
		return errors.New("absolute path")
	}
	for _, el := range strings.Split(p, "/") {
		switch el {
		case "", ".", "..":
			return fmt.Errorf("path element %q is not allowed", el)
		}
	}
	for _, c := range p {
		if c < 0x20 || c == 0x7f || c == '\\' || c == ':' {
			return fmt.Errorf("character %q is not allowed", c)
		}
	}
	if !filepath.IsLocal(filepath.FromSlash(p)) || path.Clean(p) != p {
		return errors.New("path leaves its folder")
	}
	return nil
}

// checkRevision validates a branch, tag or commit name: it becomes a path
// under refs/, so it obeys checkRepoPath.
func checkRevision(rev string) error {
	if err := checkRepoPath(rev); err != nil {
		return fmt.Errorf("revision %q: %v", rev, err)
	}
	return nil
}
