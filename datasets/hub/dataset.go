package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// ParquetRevision is the branch in which the Hub's dataset viewer keeps a
// Parquet conversion of every dataset, laid out as
// <config>/<split>/0000.parquet, 0001.parquet, … (<config>/partial-<split>/
// when only part of a large split was converted).
const ParquetRevision = "refs/convert/parquet"

// ParseDataset parses "owner/name", "owner/name:config" or
// "owner/name:config:split" into a Dataset.
func ParseDataset(s string) (Dataset, error) {
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return Dataset{}, fmt.Errorf("dataset %q: too many ':' (want owner/name[:config[:split]])", s)
	}
	d := Dataset{Repo: parts[0]}
	if len(parts) > 1 {
		d.Config = parts[1]
	}
	if len(parts) > 2 {
		d.Split = parts[2]
	}
	if err := d.Validate(); err != nil {
		return Dataset{}, err
	}
	return d, nil
}

// Validate reports whether d can be looked up: Repo a Hub repository id,
// Config and Split (when given) single path elements without '/', '\\',
// ':' or control characters.
func (d Dataset) Validate() error {
	if err := checkRepoID(d.Repo); err != nil {
		return fmt.Errorf("dataset %q is not a Hub repository id: %v (want owner/name)", d.Repo, err)
	}
	for _, f := range []struct{ what, v string }{{"config", d.Config}, {"split", d.Split}} {
		if f.v == "" {
			continue
		}
		if err := checkRepoPath(f.v); err != nil || strings.Contains(f.v, "/") {
			return fmt.Errorf("dataset %s: %s name %q is not a valid name", d, f.what, f.v)
		}
	}
	return nil
}

// config returns the configuration name, "default" when empty.
func (d Dataset) config() string {
	if d.Config == "" {
		return "default"
	}
	return d.Config
}

// Dataset makes the Parquet files of a dataset split available in the
// cache and returns their paths in order, ready for Open or Parquet. The
// files are those the Hub lists at
// {endpoint}/api/datasets/{repo}/parquet/{config}/{split}; they live in
// the dataset's ParquetRevision branch and are cached under
// datasets--<owner>--<name> like any Hub file, with
// refs/refs/convert/parquet naming the commit. With an empty Split the
// configuration must have exactly one split.
//
// A listed URL whose file would land outside the cache folder, or that is
// not a Parquet file of that branch, is an error. Offline (Client.Offline),
// the files are those recorded by the last online call for the commit in
// refs/refs/convert/parquet or, in a cache filled by other tools, the
// <config>/<split>/*.parquet files of its snapshot.
func (h *Client) Dataset(ctx context.Context, d Dataset) ([]string, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	r := repoRef{"dataset", d.Repo}
	if h.Offline {
		return h.offlineDataset(r, d)
	}
	split, urls, err := h.parquetListing(ctx, r, d)
	if err != nil {
		return nil, err
	}
	files := make([]string, len(urls))
	for i, u := range urls {
		if files[i], err = h.branchFile(ctx, r, u); err != nil {
			return nil, err
		}
	}
	rev := ParquetRevision
	paths := make([]string, len(files))
	for i, f := range files {
		if paths[i], rev, err = h.fetch(ctx, r, rev, f); err != nil {
			return nil, err
		}
	}
	if err := h.writeManifest(r, rev, d.config(), split, files); err != nil {
		return nil, err
	}
	if err := h.writeRef(r, ParquetRevision, rev); err != nil {
		return nil, &Error{Repo: r.String(), Msg: "cannot record revision " + ParquetRevision + ": " + err.Error(), Err: err}
	}
	return paths, nil
}

// parquetListing returns the split (d.Split, or the only one) and the
// URLs of its Parquet files. A 404 is explained by listing the
// configurations and splits the dataset has.
func (h *Client) parquetListing(ctx context.Context, r repoRef, d Dataset) (string, []string, error) {
	base := h.Endpoint + "/api/datasets/" + r.id + "/parquet"
	config, split := d.config(), d.Split
	if split == "" {
		var splits map[string][]string
		if err := h.getJSON(ctx, r, base+"/"+url.PathEscape(config), &splits); err != nil {
			return "", nil, h.explainListing(ctx, r, d, err)
		}
		names := slices.Sorted(maps.Keys(splits))
		if len(names) != 1 {
			return "", nil, &Error{Repo: r.String(), Msg: fmt.Sprintf("configuration %s has %d splits (%s)", config, len(names), strings.Join(names, ", ")),
				Hint: "name the split"}
		}
		split = names[0]
	}
	var urls []string
	if err := h.getJSON(ctx, r, base+"/"+url.PathEscape(config)+"/"+url.PathEscape(split), &urls); err != nil {
		return "", nil, h.explainListing(ctx, r, Dataset{d.Repo, config, split}, err)
	}
	if len(urls) == 0 {
		return "", nil, &Error{Repo: r.String(), Msg: fmt.Sprintf("the Hub lists no Parquet files for configuration %s, split %s", config, split), Err: ErrNotFound,
			Hint: "the dataset viewer may not have converted this dataset; give the task a local file instead"}
	}
	return split, urls, nil
}

// explainListing turns a 404 of a config or split listing into an error
// naming the configurations and splits that exist, or saying that the
// repository does not.
func (h *Client) explainListing(ctx context.Context, r repoRef, d Dataset, err error) error {
	var he *Error
	if !errors.As(err, &he) || he.Status != http.StatusNotFound {
		return err
	}
	var all map[string]map[string][]string
	if err := h.getJSON(ctx, r, h.Endpoint+"/api/datasets/"+r.id+"/parquet", &all); err != nil {
		if errors.As(err, &he) && he.Status == http.StatusNotFound {
			he.Msg = "repository not found, or it has no Parquet conversion"
			he.Hint = "check the id on https://huggingface.co/datasets; a private dataset also needs HF_TOKEN"
		}
		return err
	}
	var have []string
	for c, splits := range all {
		for s := range splits {
			have = append(have, c+"/"+s)
		}
	}
	slices.Sort(have)
	what := "configuration " + d.config()
	if _, ok := all[d.config()]; ok {
		what = "split " + d.Split + " of configuration " + d.config()
	}
	return &Error{Repo: r.String(), Status: http.StatusNotFound, Msg: what + " not found", Err: ErrNotFound,
		Hint: "the dataset has (configuration/split): " + strings.Join(have, ", ")}
}

// branchFile returns the path, inside ParquetRevision, of the file a
// listing URL points to. A URL of the form
// …/datasets/{repo}/resolve/refs%2Fconvert%2Fparquet/{file} names it
// directly; a shard URL …/api/datasets/{repo}/parquet/{config}/{split}/{n}.parquet
// is asked (on the endpoint, never on another host) where it redirects.
func (h *Client) branchFile(ctx context.Context, r repoRef, raw string) (string, error) {
	bad := func(msg string) error {
		return &Error{Repo: r.String(), Msg: fmt.Sprintf("parquet listing entry %q: %s", raw, msg),
			Hint: "the Hub's answer is not usable; if HF_ENDPOINT points to a mirror, check it"}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", bad(err.Error())
	}
	p := h.trimEndpointPath(u.EscapedPath())
	if file, ok, err := parquetBranchPath(p, r); ok {
		if err != nil {
			return "", bad(err.Error())
		}
		return file, nil
	}
	apiPrefix := "/api/datasets/" + r.id + "/parquet/"
	if !strings.HasPrefix(p, apiPrefix) || !strings.HasSuffix(p, ".parquet") || strings.Contains(p, "/../") {
		return "", bad("not a Parquet file of this dataset")
	}
	target := h.Endpoint + p
	resp, err := h.send(ctx, h.noRedirect(), func() (*http.Request, error) { return h.newRequest(ctx, http.MethodGet, target) })
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", netError(r.String(), "", h.Endpoint, err)
	}
	if resp.StatusCode >= 400 {
		return "", h.statusError(resp, r.String(), p)
	}
	drain(resp)
	loc, err := u.Parse(resp.Header.Get("Location"))
	if resp.StatusCode < 300 || resp.StatusCode > 399 || err != nil {
		return "", bad("does not redirect to a file of the " + ParquetRevision + " branch")
	}
	file, ok, err := parquetBranchPath(h.trimEndpointPath(loc.EscapedPath()), r)
	if !ok {
		return "", bad(fmt.Sprintf("redirects to %q, not to a file of the %s branch", loc.String(), ParquetRevision))
	}
	if err != nil {
		return "", bad(err.Error())
	}
	return file, nil
}

// trimEndpointPath removes the endpoint's own path prefix (for an
// endpoint such as https://mirror.example/hf) from an escaped URL path.
func (h *Client) trimEndpointPath(p string) string {
	ep, err := url.Parse(h.Endpoint)
	if err != nil {
		return p
	}
	prefix := strings.TrimRight(ep.EscapedPath(), "/")
	if prefix != "" && strings.HasPrefix(p, prefix+"/") {
		return p[len(prefix):]
	}
	return p
}

// parquetBranchPath parses an escaped URL path
// /datasets/{repo}/resolve/refs%2Fconvert%2Fparquet/{file}. ok is false
// when p does not have that form; err reports a file path that is not a
// plain relative path to a .parquet file (one that would escape the cache
// folder, for instance).
func parquetBranchPath(p string, r repoRef) (file string, ok bool, err error) {
	rest, found := strings.CutPrefix(p, "/datasets/"+r.id+"/resolve/")
	if !found {
		return "", false, nil
	}
	revEsc, fileEsc, found := strings.Cut(rest, "/")
	if !found {
		return "", false, nil
	}
	if rev, err := url.PathUnescape(revEsc); err != nil || rev != ParquetRevision {
		return "", false, nil
	}
	segs := strings.Split(fileEsc, "/")
	for i, s := range segs {
		if segs[i], err = url.PathUnescape(s); err != nil {
			return "", true, err
		}
	}
	file = strings.Join(segs, "/")
	if err := checkRepoPath(file); err != nil {
		return "", true, fmt.Errorf("file path %q escapes the cache directory: %v", file, err)
	}
	if path.Ext(file) != ".parquet" {
		return "", true, fmt.Errorf("file %q is not a .parquet file", file)
	}
	return file, true, nil
}

// manifest records the files of a split at a commit, so that offline use
// reads exactly the files the listing named. It is kept in the repository
// folder under .kshot/, which huggingface_hub's cache tools ignore.
type manifest struct {
	Files []string `json:"files"` // paths inside ParquetRevision, in listing order
}

// manifestPath returns where the file list of a split at a commit is kept.
func (h *Client) manifestPath(r repoRef, commit, config, split string) string {
	return filepath.Join(h.repoDir(r), ".kshot", "parquet", commit, config, split+".json")
}

// writeManifest records the files of a split at a commit.
func (h *Client) writeManifest(r repoRef, commit, config, split string, files []string) error {
	data, _ := json.Marshal(manifest{Files: files})
	p := h.manifestPath(r, commit, config, split)
	if err := writeFileAtomic(p, filepath.Dir(p), data); err != nil {
		return &Error{Repo: r.String(), Msg: "cannot write the file list: " + err.Error(), Err: err}
	}
	return nil
}

// offlineDataset finds a split's Parquet files in the cache.
func (h *Client) offlineDataset(r repoRef, d Dataset) ([]string, error) {
	commit, err := h.readRef(r, ParquetRevision)
	if err != nil {
		return nil, notCached(r, "", fmt.Sprintf("%s was never downloaded (%s is missing)", d, h.refPath(r, ParquetRevision)))
	}
	config, split := d.config(), d.Split
	if split == "" {
		entries, _ := os.ReadDir(filepath.Join(h.repoDir(r), ".kshot", "parquet", commit, config))
		var names []string
		for _, e := range entries {
			if n, ok := strings.CutSuffix(e.Name(), ".json"); ok {
				names = append(names, n)
			}
		}
		if len(names) != 1 {
			return nil, notCached(r, "", fmt.Sprintf("cannot tell which split of %s to use: name one (cached: %s)", d, strings.Join(names, ", ")))
		}
		split = names[0]
	}
	var files []string
	if data, err := os.ReadFile(h.manifestPath(r, commit, config, split)); err == nil {
		var m manifest
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, &Error{Repo: r.String(), Msg: "damaged file list " + h.manifestPath(r, commit, config, split) + ": " + err.Error(),
				Hint: "delete it and run once with network access"}
		}
		files = m.Files
	} else {
		for _, dir := range []string{config + "/" + split, config + "/partial-" + split} {
			matches, _ := filepath.Glob(filepath.Join(h.snapshotDir(r, commit), filepath.FromSlash(dir), "*.parquet"))
			for _, m := range matches {
				files = append(files, dir+"/"+filepath.Base(m))
			}
			if len(files) > 0 {
				break
			}
		}
		slices.Sort(files)
		if len(files) == 0 {
			return nil, notCached(r, "", fmt.Sprintf("no Parquet files of configuration %s, split %s in %s", config, split,
				filepath.Join(h.snapshotDir(r, commit), config, split)))
		}
	}
	paths := make([]string, len(files))
	for i, f := range files {
		if err := checkRepoPath(f); err != nil {
			return nil, &Error{Repo: r.String(), File: f, Msg: "the cached file list names a path outside the cache: " + err.Error()}
		}
		p, ok := h.cached(r, commit, f)
		if !ok {
			return nil, notCached(r, f, "not in the cache: "+p)
		}
		paths[i] = p
	}
	return paths, nil
}
