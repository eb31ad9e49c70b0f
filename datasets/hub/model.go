package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// ParseModelSpec splits a model given by Hub id, "owner/name" or a legacy
// bare "name" ("gpt2"), optionally followed by "@revision" (a branch, tag,
// commit hash or "refs/pr/N"), into the repository id and the revision,
// "main" when none is given. It returns an error for anything else, such
// as a file path, so callers can tell directories from Hub ids.
func ParseModelSpec(spec string) (repo, revision string, err error) {
	repo, revision, hasRev := strings.Cut(spec, "@")
	if !hasRev {
		revision = "main"
	}
	if err := checkRepoID(repo); err != nil {
		return "", "", fmt.Errorf("model %q is not a Hub repository id: %v (want name or owner/name, optionally followed by @revision)", spec, err)
	}
	if err := checkRevision(revision); err != nil {
		return "", "", fmt.Errorf("model %q: %v (want a branch, tag or commit after @)", spec, err)
	}
	return repo, revision, nil
}

// Snapshot is one commit of a model repository, resolved by Client.Model.
// Its caller says which files it needs: Fetch makes one available in the
// snapshot directory, and Commit records the revision once every file the
// caller needs is in place. The client knows nothing of checkpoint or
// tokenizer files; package model does (model.Download).
type Snapshot struct {
	c        *Client
	r        repoRef
	rev      string          // the revision asked for
	commit   string          // the commit it resolves to
	siblings map[string]bool // the repository's files at commit; nil when unknown
}

// Model resolves a model repository's revision and returns its snapshot,
// from which the caller fetches the files it needs; spec is as for
// ParseModelSpec.
//
// Online, the revision is resolved to a commit with
// {endpoint}/api/models/{repo}/revision/{revision}, which also lists the
// repository's files. Offline (Client.Offline) the commit comes from
// refs/<revision> in the cache, and the error says when it was never
// downloaded.
func (h *Client) Model(ctx context.Context, spec string) (*Snapshot, error) {
	id, rev, err := ParseModelSpec(spec)
	if err != nil {
		return nil, err
	}
	r := repoRef{"model", id}
	if h.Offline {
		commit, err := h.readRef(r, rev)
		if err != nil {
			return nil, notCached(r, "", fmt.Sprintf("revision %s was never downloaded (%s is missing)", rev, h.refPath(r, rev)))
		}
		return &Snapshot{c: h, r: r, rev: rev, commit: commit}, nil
	}
	commit, siblings, err := h.modelRevision(ctx, r, rev)
	if err != nil {
		return nil, err
	}
	return &Snapshot{c: h, r: r, rev: rev, commit: commit, siblings: siblings}, nil
}

// String names the repository and revision, e.g. "model gpt2@main".
func (s *Snapshot) String() string { return s.r.String() + "@" + s.rev }

// Dir returns the snapshot directory, where fetched files appear under
// their repository paths.
func (s *Snapshot) Dir() string { return s.c.snapshotDir(s.r, s.commit) }

// Files returns the repository's files at the snapshot's commit, sorted,
// or nil when the Hub did not list them (and offline).
func (s *Snapshot) Files() []string {
	if s.siblings == nil {
		return nil
	}
	files := make([]string, 0, len(s.siblings))
	for f := range s.siblings {
		files = append(files, f)
	}
	slices.Sort(files)
	return files
}

// Fetch makes file available in the snapshot directory and returns its
// path. A file already in the snapshot is used without any request;
// otherwise a HEAD request finds its blob, downloaded unless already in
// the cache. A file the repository lacks, or (offline) the cache does not
// hold, is a *Error matching both errors.Is(err, fs.ErrNotExist) and
// ErrNotFound (or ErrNotCached); an absent file is recorded in
// .no_exist/<commit>/ as huggingface_hub does. A path that would leave the
// repository folder is an error.
func (s *Snapshot) Fetch(ctx context.Context, file string) (string, error) {
	if err := checkRepoPath(file); err != nil {
		return "", &Error{Repo: s.r.String(), File: file, Msg: "the path escapes the cache directory: " + err.Error()}
	}
	if s.c.Offline {
		p, ok := s.c.cached(s.r, s.commit, file)
		if !ok {
			e := notCached(s.r, file, "not in the cache: "+p)
			e.absent = true
			return "", e
		}
		return p, nil
	}
	if s.siblings != nil && !s.siblings[file] {
		return "", &Error{Repo: s.r.String(), File: file, Msg: "file not found in the repository at revision " + s.rev, Err: ErrNotFound, absent: true}
	}
	p, _, err := s.c.fetch(ctx, s.r, s.commit, file)
	var e *Error
	if err != nil && errors.As(err, &e) && isEntryNotFound(err) {
		e.absent = true
	}
	return p, err
}

// Commit records the snapshot's revision in refs/<revision> (online; a
// commit hash is not recorded) and returns the snapshot directory. Call it
// once every file the caller needs has been fetched, so that an offline
// run later finds a complete snapshot.
func (s *Snapshot) Commit() (string, error) {
	if !s.c.Offline {
		if err := s.c.writeRef(s.r, s.rev, s.commit); err != nil {
			return "", &Error{Repo: s.r.String(), Msg: "cannot record revision " + s.rev + ": " + err.Error(), Err: err}
		}
	}
	return s.Dir(), nil
}

// modelRevision resolves rev to a commit with the Hub's model API and
// returns the set of the repository's files at that commit (nil when the
// answer does not list them).
func (h *Client) modelRevision(ctx context.Context, r repoRef, rev string) (string, map[string]bool, error) {
	var info struct {
		SHA      string `json:"sha"`
		Siblings []struct {
			Name string `json:"rfilename"`
		} `json:"siblings"`
	}
	u := h.Endpoint + "/api/models/" + r.id + "/revision/" + url.PathEscape(rev)
	if err := h.getJSON(ctx, r, u, &info); err != nil {
		var he *Error
		if errors.As(err, &he) && he.Status == http.StatusNotFound && he.code == "" {
			he.Msg = "repository or revision not found"
			he.Hint = "check the id on https://huggingface.co and the revision after @; a private repository also needs HF_TOKEN"
		}
		return "", nil, err
	}
	if !isCommit(info.SHA) {
		return "", nil, &Error{Repo: r.String(), Msg: fmt.Sprintf("the Hub's answer for revision %q holds no commit hash (sha %q)", rev, info.SHA)}
	}
	if info.Siblings == nil {
		return info.SHA, nil, nil
	}
	files := make(map[string]bool, len(info.Siblings))
	for _, s := range info.Siblings {
		files[s.Name] = true
	}
	return info.SHA, files, nil
}

// getJSON GETs an API URL (following redirects, retrying failures) and
// decodes its JSON answer, at most 64 MiB, into v.
func (h *Client) getJSON(ctx context.Context, r repoRef, u string, v any) error {
	resp, err := h.send(ctx, h.client(), func() (*http.Request, error) {
		req, err := h.newRequest(ctx, http.MethodGet, u)
		if err == nil {
			req.Header.Set("Accept", "application/json")
		}
		return req, err
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return netError(r.String(), "", h.Endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		return h.statusError(resp, r.String(), "")
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return netError(r.String(), "", h.Endpoint, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return &Error{Repo: r.String(), Msg: fmt.Sprintf("unexpected answer from %s: %v", u, err),
			Hint: "if HF_ENDPOINT points to a mirror, check that it serves the Hub's API"}
	}
	return nil
}

// notCached builds the offline-mode error for something missing from the
// cache.
func notCached(r repoRef, file, msg string) *Error {
	return &Error{Repo: r.String(), File: file, Msg: "offline mode (HF_HUB_OFFLINE=1): " + msg, Err: ErrNotCached,
		Hint: "run once with network access (HF_HUB_OFFLINE unset) to download it, or copy the Hugging Face cache from a machine that has it"}
}
