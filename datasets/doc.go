// Package datasets reads evaluation data from local files: JSON Lines,
// JSON arrays, CSV and TSV, plain text, WMT SGML and Parquet. It knows
// nothing of tasks or models, and imports only the standard library and
// parquet-go.
//
// Record readers (JSONL, JSON, CSV, TSV, Parquet, and Open, which picks one
// by the file's extension) stream a file as an iter.Seq2[Row, error]:
//
//	for row, err := range datasets.Open("lambada_test.jsonl") {
//		if err != nil {
//			return err // "lambada_test.jsonl:17: invalid JSON at byte 12: …"
//		}
//		text, err := row.String("text") // `…:17: field "text" missing`
//		…
//	}
//
// OpenAll chains several files, such as the Parquet shards of a split.
// A sequence yields at most one error, as its last element, and closes its
// file when the loop ends or breaks. Text formats are decompressed on the
// fly when the name ends in .gz (gzip) or .bz2 (bzip2); line numbers count
// lines of the decompressed text. Lines streams plain text line by line,
// ReadText returns a whole file, and SGML and ParallelSGML read the
// segments of WMT test sets as sacreBLEU does.
//
// Errors about the content of a file are a *ReadError (the file could not
// be read at some line or Parquet row) or a *FieldError (a record lacks a
// field or holds the wrong kind of value); both name the file and the line
// or row, and carry a hint when the fix is known. A file without records
// is an error matching ErrNoRecords, and a blank line in JSON Lines, CSV
// or TSV an error naming the line: there is no score of no data.
//
// The package touches no network; its subpackage hub downloads Hugging
// Face datasets (as Parquet) and models into the huggingface_hub cache.
package datasets
