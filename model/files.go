package model

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// This file holds the one table of the files that make up a model
// directory — read by the loader, hashed by Fingerprint, fetched by
// Download — so that the three cannot disagree.

// Checkpoint file names inside a model directory, as Hugging Face's
// save_pretrained writes them.
const (
	ConfigFileName      = "config.json"
	SafetensorsFileName = "model.safetensors"
	IndexFileName       = "model.safetensors.index.json"
)

// TokenizerFiles lists, in a fixed order, the tokenizer files a model
// directory may hold: NewTokenizer reads tokenizer.json, vocab.json +
// merges.txt or encoder.json + vocab.bpe; tokenizer_config.json and
// special_tokens_map.json carry settings. Fingerprint hashes those
// present in this order, and Download fetches those the repository has.
// None is required by itself.
var TokenizerFiles = []string{
	"tokenizer.json", "vocab.json", "merges.txt", "encoder.json", "vocab.bpe",
	"tokenizer_config.json", "special_tokens_map.json",
}

// otherWeightFiles are weight files of formats kshot does not read, named
// in the error for a repository without safetensors weights.
var otherWeightFiles = []string{
	"pytorch_model.bin", "pytorch_model.bin.index.json", "tf_model.h5", "flax_model.msgpack", "model.ckpt.index",
}

// Repository is a model repository at one commit that files can be
// fetched from, such as a Hugging Face Hub snapshot (hub.Snapshot).
type Repository interface {
	// Fetch makes file available locally and returns its path; for a
	// file the repository lacks, the error matches fs.ErrNotExist.
	Fetch(ctx context.Context, file string) (string, error)
	// Files lists the repository's files, or nil when unknown.
	Files() []string
	// String names the repository in errors.
	String() string
}

// Download fetches from r the files of a model directory: config.json,
// the safetensors weights (model.safetensors, or else
// model.safetensors.index.json and every shard it names, read with
// ParseShardIndex) and those TokenizerFiles the repository has. A
// repository without safetensors weights is an error that names the
// weights it has and says how to convert them.
func Download(ctx context.Context, r Repository) error {
	if _, err := r.Fetch(ctx, ConfigFileName); err != nil {
		return err
	}
	if err := downloadWeights(ctx, r); err != nil {
		return err
	}
	for _, f := range TokenizerFiles {
		if _, err := r.Fetch(ctx, f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// downloadWeights fetches model.safetensors or the shard index and its
// shards.
func downloadWeights(ctx context.Context, r Repository) error {
	_, err := r.Fetch(ctx, SafetensorsFileName)
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	index, ierr := r.Fetch(ctx, IndexFileName)
	if errors.Is(ierr, fs.ErrNotExist) {
		return noSafetensors(r, err)
	}
	if ierr != nil {
		return ierr
	}
	data, err := os.ReadFile(index)
	if err != nil {
		return &FileError{File: index, Msg: "cannot read: " + unwrapPathError(err)}
	}
	weightMap, err := ParseShardIndex(data, index)
	if err != nil {
		return err
	}
	for _, s := range shardFiles(weightMap) {
		if _, err := r.Fetch(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// shardFiles returns the shard file names of a weight map, sorted and
// without duplicates.
func shardFiles(weightMap map[string]string) []string {
	var shards []string
	for _, s := range weightMap {
		shards = append(shards, s)
	}
	slices.Sort(shards)
	return slices.Compact(shards)
}

// noSafetensors builds the error for a repository without safetensors
// weights, naming the weights it has and how to convert them; absent is
// the repository's error for model.safetensors.
func noSafetensors(r Repository, absent error) error {
	var have []string
	for _, name := range r.Files() {
		base := name[strings.LastIndexByte(name, '/')+1:]
		if slices.Contains(otherWeightFiles, base) || (strings.HasPrefix(base, "pytorch_model-") && strings.HasSuffix(base, ".bin")) {
			have = append(have, name)
		}
	}
	msg := fmt.Sprintf("no safetensors weights (%s or %s)", SafetensorsFileName, IndexFileName)
	if r.Files() == nil { // offline, or a listing without files: the repository's own error says more
		return fmt.Errorf("%s: %s: %w", r, msg, absent)
	}
	if len(have) > 0 {
		msg += "; the repository has " + strings.Join(have, ", ")
	}
	id := r.String()
	if _, after, ok := strings.Cut(id, " "); ok { // "model owner/name@rev"
		id = after
	}
	id, _, _ = strings.Cut(id, "@")
	return fmt.Errorf("%s: %s (kshot reads only safetensors weights: open a conversion pull request with the Hub's space "+
		"https://huggingface.co/spaces/safetensors/convert and use %s@refs/pr/<N>, or convert locally with "+
		"transformers: AutoModelForCausalLM.from_pretrained(\"%s\").save_pretrained(\"<dir>\", safe_serialization=True) "+
		"and use the directory <dir>): %w", r, msg, id, id, absent)
}
