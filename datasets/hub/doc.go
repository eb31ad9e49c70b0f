// Package hub downloads files from the Hugging Face Hub into the cache
// huggingface_hub uses (blobs, snapshots, refs, .no_exist), so that files
// fetched by Python tools are reused and the other way round.
//
// Client.Dataset fetches the Parquet conversion of a dataset split
// (Dataset names one). Client.Model resolves a model repository's
// revision to a Snapshot, from which the caller fetches the files it needs
// with Snapshot.Fetch and then records the revision with Snapshot.Commit:
// the package knows the Hub's API and cache layout, not which files make
// a checkpoint or a tokenizer (package model does, see model.Download).
// It imports only the standard library and is the only package of kshot
// that touches the network for data or weights.
package hub
