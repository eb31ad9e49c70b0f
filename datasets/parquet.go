package datasets

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"os"
	"strings"

	"github.com/parquet-go/parquet-go"
)

const hintDamaged = "the file is damaged or truncated; download or copy it again"

// Parquet reads the rows of a Parquet file of any schema, such as the
// files of Hugging Face datasets, one row group at a time: only the footer
// and the pages of the current row group are held in memory. Row.Line is
// the 1-based row number across row groups, and Row.Unit is UnitRow.
//
// Columns become Fields generically: strings stay strings, integer columns
// become int64, float and double columns float64 (a float32 is widened, so
// 0.1 reads as 0.10000000149011612), booleans bool, lists (the LIST
// logical type and plain repeated columns) []any, groups (structs)
// map[string]any, and nulls nil. Binary columns without the STRING
// annotation come back as strings of their bytes.
//
// A file that is not Parquet, is truncated or has damaged pages yields a
// *ReadError naming the file and, once rows are being read, the row, and
// the sequence ends. Compressed wrappers (.parquet.gz) are refused:
// Parquet compresses its pages itself and needs random access. A file
// with no rows yields an ErrNoRecords error.
func Parquet(path string) iter.Seq2[Row, error] {
	return nonEmpty(parquetFile(path), path)
}

// parquetFile is Parquet without the check for rows.
func parquetFile(path string) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		if c := compression(path); c != "" {
			yield(Row{}, &ReadError{Source: path, Err: fmt.Errorf("a %s-compressed Parquet file cannot be read", c),
				Hint: "decompress it first; Parquet compresses its pages itself"})
			return
		}
		f, err := os.Open(path)
		if err != nil {
			yield(Row{}, err)
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			yield(Row{}, err)
			return
		}
		parquetRows(f, st.Size(), path, yield)
	}
}

// parquetRows yields the rows of the Parquet file held by r.
func parquetRows(r io.ReaderAt, size int64, source string, yield func(Row, error) bool) {
	pf, err := openParquet(r, size)
	if err != nil {
		var re *ReadError
		if !errors.As(err, &re) {
			re = &ReadError{Err: err, Hint: hintDamaged}
		}
		re.Source = source
		yield(Row{}, re)
		return
	}
	rowErr := func(row int, err error) *ReadError {
		return &ReadError{Source: source, Line: row, Unit: UnitRow, Err: err, Hint: hintDamaged}
	}
	schema := pf.Schema()
	buf := make([]parquet.Row, 64)
	row := 0
	for gi, rg := range pf.RowGroups() {
		if err := checkRowGroup(r, size, pf, gi); err != nil {
			yield(Row{}, rowErr(row+1, fmt.Errorf("row group %d: %w", gi+1, err)))
			return
		}
		rows, err := openRows(rg)
		if err != nil {
			yield(Row{}, rowErr(row+1, fmt.Errorf("row group %d: %w", gi+1, err)))
			return
		}
		for {
			n, err := readRows(rows, buf)
			for _, pr := range buf[:n] {
				row++
				m, rerr := reconstruct(schema, pr)
				if rerr != nil {
					rows.Close()
					yield(Row{}, rowErr(row, rerr))
					return
				}
				if !yield(Row{Source: source, Line: row, Unit: UnitRow, Fields: m}, nil) {
					rows.Close()
					return
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				rows.Close()
				yield(Row{}, rowErr(row+1, fmt.Errorf("reading row group %d: %w", gi+1, err)))
				return
			}
			if n == 0 {
				rows.Close()
				yield(Row{}, rowErr(row+1, fmt.Errorf("reading row group %d: no progress", gi+1)))
				return
			}
		}
		rows.Close()
	}
	if int64(row) != pf.NumRows() {
		yield(Row{}, &ReadError{Source: source, Err: fmt.Errorf("read %d rows, but the footer promises %d", row, pf.NumRows()), Hint: hintDamaged})
	}
}

// openParquet checks the magic numbers and footer length of the file before
// handing it to parquet-go, so that a truncated file is reported as such
// and a damaged footer length cannot make it allocate gigabytes.
func openParquet(r io.ReaderAt, size int64) (f *parquet.File, err error) {
	const magic = "PAR1"
	if size < 12 {
		return nil, &ReadError{Err: fmt.Errorf("not a Parquet file: only %d bytes long", size), Hint: hintDamaged}
	}
	var head, tail [8]byte
	if _, err := r.ReadAt(head[:4], 0); err != nil {
		return nil, err
	}
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(head[:], []byte{0x1f, 0x8b}):
		return nil, &ReadError{Err: errors.New("not a Parquet file: it holds gzip data"), Hint: "decompress it first"}
	case string(head[:4]) == "PARE" || string(tail[4:]) == "PARE":
		return nil, &ReadError{Err: errors.New("encrypted Parquet files are not supported")}
	case string(head[:4]) != magic:
		return nil, &ReadError{Err: fmt.Errorf("not a Parquet file: it starts with %q, not %q", head[:4], magic)}
	case string(tail[4:]) != magic:
		return nil, &ReadError{Err: fmt.Errorf("no Parquet footer: the file ends with %q, not %q", tail[4:], magic), Hint: hintDamaged}
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n > size-12 {
		return nil, &ReadError{Err: fmt.Errorf("the footer claims %d bytes but the file has only %d", n, size), Hint: hintDamaged}
	}
	footer := make([]byte, n)
	if _, err := r.ReadAt(footer, size-8-n); err != nil {
		return nil, err
	}
	if err := checkThrift(footer); err != nil {
		return nil, &ReadError{Err: fmt.Errorf("damaged Parquet footer: %w", err), Hint: hintDamaged}
	}
	defer func() {
		if p := recover(); p != nil {
			f, err = nil, fmt.Errorf("damaged Parquet footer: %v", p)
		}
	}()
	f, err = parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("damaged Parquet footer: %w", err)
	}
	return f, nil
}

// openRows is rg.Rows with parquet-go's panics on damaged metadata turned
// into errors.
func openRows(rg parquet.RowGroup) (rows parquet.Rows, err error) {
	defer func() {
		if p := recover(); p != nil {
			rows, err = nil, fmt.Errorf("damaged Parquet metadata: %v", p)
		}
	}()
	return rg.Rows(), nil
}

// readRows is rows.ReadRows with parquet-go's panics on damaged pages
// turned into errors.
func readRows(rows parquet.Rows, buf []parquet.Row) (n int, err error) {
	defer func() {
		if p := recover(); p != nil {
			n, err = 0, fmt.Errorf("damaged Parquet page: %v", p)
		}
	}()
	return rows.ReadRows(buf)
}

// reconstruct turns a Parquet row into a map of Go values with the types
// documented on Parquet.
func reconstruct(schema *parquet.Schema, row parquet.Row) (m map[string]any, err error) {
	defer func() {
		if p := recover(); p != nil {
			m, err = nil, fmt.Errorf("damaged Parquet row: %v", p)
		}
	}()
	m = map[string]any{}
	if err := schema.Reconstruct(&m, row); err != nil {
		return nil, err
	}
	normalize(m)
	return m, nil
}

// normalize converts, in place, the integers and floats that parquet-go
// produces to int64 and float64, and returns v.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x)
		}
		return float64(x)
	case float32:
		return float64(x)
	}
	return v
}

// maxPageBytes bounds the uncompressed size of one Parquet page. Writers
// aim at about 1 MiB; parquet-go allocates what a page header claims, so a
// damaged header is refused here instead of costing gigabytes.
const maxPageBytes = 256 << 20

// checkRowGroup checks, before parquet-go reads row group gi, that every
// column chunk lies inside the file and that every page header in it
// claims a size that fits in its chunk and at most maxPageBytes
// uncompressed.
func checkRowGroup(r io.ReaderAt, size int64, pf *parquet.File, gi int) error {
	groups := pf.Metadata().RowGroups
	if gi >= len(groups) {
		return fmt.Errorf("the footer describes %d row groups", len(groups))
	}
	for _, cc := range groups[gi].Columns {
		md := &cc.MetaData
		col := strings.Join(md.PathInSchema, ".")
		start := md.DataPageOffset
		if d := md.DictionaryPageOffset; d > 0 && d < start {
			start = d
		}
		end := start + md.TotalCompressedSize
		if start < 4 || md.TotalCompressedSize < 0 || end < start || end > size-8 {
			return fmt.Errorf("column %q: its pages (bytes %d to %d) lie outside the file of %d bytes", col, start, end, size)
		}
		for pos := start; pos < end; {
			var hlen int
			var unc, comp int64
			for want := int64(256); ; want *= 2 {
				buf := make([]byte, min(want, end-pos))
				if _, err := r.ReadAt(buf, pos); err != nil {
					return fmt.Errorf("column %q: reading a page header at byte %d: %w", col, pos, err)
				}
				var err error
				hlen, unc, comp, err = pageHeader(buf)
				if err == nil {
					break
				}
				if !errors.Is(err, errThriftShort) || int64(len(buf)) == end-pos {
					return fmt.Errorf("column %q: damaged page header at byte %d: %w", col, pos, err)
				}
			}
			next := pos + int64(hlen) + comp
			if comp < 0 || unc < 0 || next > end {
				return fmt.Errorf("column %q: the page at byte %d claims %d bytes, more than its column chunk holds", col, pos, comp)
			}
			if unc > maxPageBytes {
				return fmt.Errorf("column %q: the page at byte %d claims %d bytes uncompressed; pages over %d MiB are refused", col, pos, unc, maxPageBytes>>20)
			}
			pos = next
		}
	}
	return nil
}
