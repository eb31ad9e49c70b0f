// Package datasets reads evaluation data: JSONL, plain text, CSV/TSV, WMT
// SGML and Parquet files, streamed record by record, with errors that name
// the file and line. It knows nothing of tasks or models.
package datasets
