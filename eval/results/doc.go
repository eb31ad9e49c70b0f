// Package results is kshot's results file format in one place: the typed
// layout of results_<timestamp>.json (lm-evaluation-harness's layout plus
// kshot's fields) and samples_<key>_<timestamp>.jsonl, one writer, one
// reader (streaming for samples), and the merge of sharded runs.
//
// The runner (package eval) returns []eval.TaskResult; FromEval converts
// them and Write writes the files. The readers accept files kshot did not
// write — lm-evaluation-harness's own results JSON — for the fields both
// have. Every reader returns a *FormatError naming the file, line and
// field for input it cannot use; none panics.
//
// Schema versions: 1 is a file without a "schema_version" field (kshot
// before the field existed, or another tool); 2 adds "schema_version" and
// "metrics", the kind and options of every metric, so that a corpus metric
// with non-default options is rebuilt exactly from the samples.
package results
