package results

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// SampleReader reads a samples file one document at a time.
type SampleReader struct {
	br   *bufio.Reader
	path string
	line int
	seen map[int]int // doc id → line
	eof  bool
}

// NewSampleReader returns a reader of the samples JSONL stream r; path is
// used in errors only.
func NewSampleReader(r io.Reader, path string) *SampleReader {
	return &SampleReader{br: bufio.NewReader(r), path: path, seen: map[int]int{}}
}

// Line returns the 1-based line of the document Next returned last.
func (s *SampleReader) Line() int { return s.line }

// Next returns the next document, skipping blank lines, or io.EOF after
// the last. A line that is not a valid sample is a *FormatError naming
// the line and field: invalid JSON, no doc_id, a doc_id seen before, a
// metric value that is not a number, an empty statistics vector.
func (s *SampleReader) Next() (SampleLine, error) {
	for !s.eof {
		b, err := s.br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return SampleLine{}, err
		}
		s.eof = err == io.EOF
		s.line++
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		var l SampleLine
		if jerr := json.Unmarshal(b, &l); jerr != nil {
			fe := jsonError(s.path, nil, "", jerr).(*FormatError)
			if field, msg := badMetric(b); field != "" {
				fe.Field, fe.Msg = field, msg
			}
			fe.Line = s.line
			return SampleLine{}, fe
		}
		if l.DocID == nil {
			return SampleLine{}, &FormatError{Path: s.path, Line: s.line, Field: "doc_id", Msg: "missing"}
		}
		if prev, dup := s.seen[*l.DocID]; dup {
			return SampleLine{}, &FormatError{Path: s.path, Line: s.line, Field: "doc_id", Msg: fmt.Sprintf("document %d already logged on line %d", *l.DocID, prev)}
		}
		s.seen[*l.DocID] = s.line
		for k, st := range l.Stats {
			if len(st) == 0 {
				return SampleLine{}, &FormatError{Path: s.path, Line: s.line, Field: "stats." + k, Msg: "empty statistics vector"}
			}
		}
		return l, nil
	}
	return SampleLine{}, io.EOF
}

// badMetric finds the metric value of a samples line that is not a
// number, for the error's field.
func badMetric(b []byte) (field, msg string) {
	var l struct {
		Metrics map[string]json.RawMessage `json:"metrics"`
	}
	if json.Unmarshal(b, &l) != nil {
		return "", ""
	}
	for k, raw := range l.Metrics {
		var v Value
		if err := v.UnmarshalJSON(raw); err != nil {
			return "metrics." + k, err.Error()
		}
	}
	return "", ""
}

// Record returns the line as a SampleRecord (the target as text).
func (l SampleLine) Record() SampleRecord {
	rec := SampleRecord{Doc: l.Doc, Arguments: l.Arguments, Resps: l.Resps, Stats: l.Stats}
	if l.DocID != nil {
		rec.DocID = *l.DocID
	}
	if len(l.Target) > 0 {
		rec.Target = rawText(l.Target)
	}
	if len(l.Metrics) > 0 {
		rec.Metrics = make(map[string]float64, len(l.Metrics))
		for k, v := range l.Metrics {
			rec.Metrics[k] = float64(v)
		}
	}
	return rec
}

// ParseSamples reads a whole samples stream; path is used in errors only.
func ParseSamples(r io.Reader, path string) ([]SampleRecord, error) {
	return readSamples(r, path, nil)
}

// readSamples reads a whole samples stream, calling check (when not nil)
// on each line with its line number before keeping it.
func readSamples(r io.Reader, path string, check func(line int, l SampleLine) error) ([]SampleRecord, error) {
	sr := NewSampleReader(r, path)
	var out []SampleRecord
	for {
		l, err := sr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if check != nil {
			if err := check(sr.Line(), l); err != nil {
				return nil, err
			}
		}
		out = append(out, l.Record())
	}
}

// rawText returns a JSON string's contents, or any other value as written.
func rawText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(bytes.TrimSpace(raw))
}
