package datasets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
)

// File names of a checkpoint saved by Hugging Face's save_pretrained.
const (
	hubConfig      = "config.json"
	hubSafetensors = "model.safetensors"
	hubIndex       = "model.safetensors.index.json"
)

// hubTokenizerFiles are the tokenizer files fetched when the repository
// has them; none is required here (the model loader says what it misses).
var hubTokenizerFiles = []string{
	"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
	"vocab.json", "merges.txt", "encoder.json", "vocab.bpe",
}

// otherWeights are weight files of other formats, named in the error for
// a repository without safetensors weights.
var otherWeights = []string{
	"pytorch_model.bin", "pytorch_model.bin.index.json", "tf_model.h5", "flax_model.msgpack", "model.ckpt.index",
}

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

// Model makes a Hub model available in the cache and returns its snapshot
// directory, which holds config.json, the safetensors weights
// (model.safetensors, or model.safetensors.index.json and every shard it
// names) and whichever tokenizer files the repository has (tokenizer.json,
// tokenizer_config.json, special_tokens_map.json, added_tokens.json,
// vocab.json, merges.txt, encoder.json, vocab.bpe). spec is as for
// ParseModelSpec.
//
// Online, the revision is resolved to a commit with
// {endpoint}/api/models/{repo}/revision/{revision}, which also lists the
// repository's files; files already in that commit's snapshot are not
// requested again, and refs/<revision> is written once every required
// file is in place. Offline (Hub.Offline) the commit comes from
// refs/<revision> and every required file must be in its snapshot; the
// error names the first one missing.
//
// A repository whose weights are only in another format (pytorch_model.bin,
// tf_model.h5, …) is an error that says how to convert it.
func (h *Hub) Model(ctx context.Context, spec string) (string, error) {
	id, rev, err := ParseModelSpec(spec)
	if err != nil {
		return "", err
	}
	r := repoRef{"model", id}
	if h.Offline {
		return h.offlineModel(r, rev)
	}
	commit, siblings, err := h.modelRevision(ctx, r, rev)
	if err != nil {
		return "", err
	}
	errAbsent := errors.New("absent")
	get := func(file string, optional bool) (string, error) {
		if siblings != nil && !siblings[file] {
			if optional {
				return "", errAbsent
			}
			return "", &HubError{Repo: r.String(), File: file, Msg: "file not found in the repository at revision " + rev, Err: ErrNotFound}
		}
		p, _, err := h.fetch(ctx, r, commit, file)
		if err != nil && optional && isEntryNotFound(err) {
			return "", errAbsent
		}
		return p, err
	}
	if _, err := get(hubConfig, false); err != nil {
		return "", err
	}
	if _, err := get(hubSafetensors, true); err == errAbsent {
		p, err := get(hubIndex, true)
		if err == errAbsent {
			return "", noSafetensors(r, rev, siblings)
		}
		if err != nil {
			return "", err
		}
		shards, err := readShardIndex(p, r)
		if err != nil {
			return "", err
		}
		for _, s := range shards {
			if _, err := get(s, false); err != nil {
				return "", err
			}
		}
	} else if err != nil {
		return "", err
	}
	for _, f := range hubTokenizerFiles {
		if _, err := get(f, true); err != nil && err != errAbsent {
			return "", err
		}
	}
	if err := h.writeRef(r, rev, commit); err != nil {
		return "", &HubError{Repo: r.String(), Msg: "cannot record revision " + rev + ": " + err.Error(), Err: err}
	}
	return h.snapshotDir(r, commit), nil
}

// modelRevision resolves rev to a commit with the Hub's model API and
// returns the set of the repository's files at that commit (nil when the
// answer does not list them).
func (h *Hub) modelRevision(ctx context.Context, r repoRef, rev string) (string, map[string]bool, error) {
	var info struct {
		SHA      string `json:"sha"`
		Siblings []struct {
			Name string `json:"rfilename"`
		} `json:"siblings"`
	}
	u := h.Endpoint + "/api/models/" + r.id + "/revision/" + url.PathEscape(rev)
	if err := h.getJSON(ctx, r, u, &info); err != nil {
		var he *HubError
		if errors.As(err, &he) && he.Status == http.StatusNotFound && he.code == "" {
			he.Msg = "repository or revision not found"
			he.Hint = "check the id on https://huggingface.co and the revision after @; a private repository also needs HF_TOKEN"
		}
		return "", nil, err
	}
	if !isCommit(info.SHA) {
		return "", nil, &HubError{Repo: r.String(), Msg: fmt.Sprintf("the Hub's answer for revision %q holds no commit hash (sha %q)", rev, info.SHA)}
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
func (h *Hub) getJSON(ctx context.Context, r repoRef, u string, v any) error {
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
		return &HubError{Repo: r.String(), Msg: fmt.Sprintf("unexpected answer from %s: %v", u, err),
			Hint: "if HF_ENDPOINT points to a mirror, check that it serves the Hub's API"}
	}
	return nil
}

// noSafetensors builds the error for a repository without safetensors
// weights, naming the weights it has and how to convert them.
func noSafetensors(r repoRef, rev string, siblings map[string]bool) error {
	var have []string
	for name := range siblings {
		base := name[strings.LastIndexByte(name, '/')+1:]
		if slices.Contains(otherWeights, base) || (strings.HasPrefix(base, "pytorch_model-") && strings.HasSuffix(base, ".bin")) {
			have = append(have, name)
		}
	}
	slices.Sort(have)
	msg := "no safetensors weights (" + hubSafetensors + " or " + hubIndex + ") at revision " + rev
	if len(have) > 0 {
		msg += "; the repository has " + strings.Join(have, ", ")
	}
	return &HubError{Repo: r.String(), Msg: msg, Err: ErrNotFound,
		Hint: "kshot reads only safetensors weights: open a conversion pull request with the Hub's space " +
			"https://huggingface.co/spaces/safetensors/convert and use " + r.id + "@refs/pr/<N>, or convert locally with " +
			"transformers: AutoModelForCausalLM.from_pretrained(\"" + r.id + "\").save_pretrained(\"<dir>\", safe_serialization=True) " +
			"and use the directory <dir>"}
}

// readShardIndex reads the shard file names of model.safetensors.index.json
// at p, sorted and without duplicates. A shard path that is not a plain
// relative path inside the repository is an error.
func readShardIndex(p string, r repoRef) ([]string, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, &HubError{Repo: r.String(), File: hubIndex, Msg: "cannot read: " + err.Error(), Err: err}
	}
	return parseShardIndex(data, r)
}

// parseShardIndex is readShardIndex on the file's content.
func parseShardIndex(data []byte, r repoRef) ([]string, error) {
	var idx struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, &HubError{Repo: r.String(), File: hubIndex, Msg: "not a valid shard index: " + err.Error()}
	}
	if len(idx.WeightMap) == 0 {
		return nil, &HubError{Repo: r.String(), File: hubIndex, Msg: `"weight_map" missing or empty`}
	}
	var shards []string
	for tensor, s := range idx.WeightMap {
		if err := checkRepoPath(s); err != nil {
			return nil, &HubError{Repo: r.String(), File: hubIndex,
				Msg: fmt.Sprintf("shard %q of tensor %q escapes the cache directory: %v", s, tensor, err)}
		}
		if !slices.Contains(shards, s) {
			shards = append(shards, s)
		}
	}
	slices.Sort(shards)
	return shards, nil
}

// offlineModel finds a model in the cache without the network.
func (h *Hub) offlineModel(r repoRef, rev string) (string, error) {
	commit, err := h.readRef(r, rev)
	if err != nil {
		return "", notCached(r, "", fmt.Sprintf("revision %s was never downloaded (%s is missing)", rev, h.refPath(r, rev)))
	}
	dir := h.snapshotDir(r, commit)
	need := func(file string) error {
		if p, ok := h.cached(r, commit, file); !ok {
			return notCached(r, file, "not in the cache: "+p)
		}
		return nil
	}
	if err := need(hubConfig); err != nil {
		return "", err
	}
	if _, ok := h.cached(r, commit, hubSafetensors); ok {
		return dir, nil
	}
	p, ok := h.cached(r, commit, hubIndex)
	if !ok {
		return "", notCached(r, hubSafetensors, "no safetensors weights in the cache: neither "+
			h.pointerPath(r, commit, hubSafetensors)+" nor "+p)
	}
	shards, err := readShardIndex(p, r)
	if err != nil {
		return "", err
	}
	for _, s := range shards {
		if err := need(s); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// notCached builds the offline-mode error for something missing from the
// cache.
func notCached(r repoRef, file, msg string) error {
	return &HubError{Repo: r.String(), File: file, Msg: "offline mode (HF_HUB_OFFLINE=1): " + msg, Err: ErrNotCached,
		Hint: "run once with network access (HF_HUB_OFFLINE unset) to download it, or copy the Hugging Face cache from a machine that has it"}
}
