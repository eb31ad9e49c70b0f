// Package eval defines kshot's evaluation core: the request kinds a task
// builds, the LanguageModel interface that scores them in batches, the
// runner that groups, sorts, batches and restores order, and the metrics and
// statistics that turn per-document scores into results.
//
// Conventions: log-probabilities are natural logarithms; lengths named
// "bytes" count UTF-8 bytes and lengths named "chars" count Unicode code
// points.
package eval
