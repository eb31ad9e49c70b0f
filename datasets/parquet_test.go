package datasets

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

type pqAnswer struct {
	Value   string   `parquet:"value"`
	Aliases []string `parquet:"aliases,list"`
}

type pqPassage struct {
	Title string `parquet:"title"`
	Score int64  `parquet:"score"`
}

// pqRecord has the column shapes of the Hugging Face parquet files of
// lambada, hellaswag, piqa, GLUE, RACE and triviaqa: strings, integer
// labels, floats, booleans, LIST columns of strings and ints, structs, lists
// of structs, and nullable columns.
type pqRecord struct {
	Text     string      `parquet:"text"`
	Label    int64       `parquet:"label"`
	Idx      int32       `parquet:"idx"`
	Score    float64     `parquet:"score"`
	Weight   float32     `parquet:"weight"`
	Flag     bool        `parquet:"flag"`
	Endings  []string    `parquet:"endings,list"`
	Tokens   []int64     `parquet:"tokens"` // plain repeated column
	Note     *string     `parquet:"note,optional"`
	Answer   pqAnswer    `parquet:"answer"`
	Passages []pqPassage `parquet:"passages,list"`
}

func pqRecords(n int) []pqRecord {
	note := "n"
	recs := make([]pqRecord, n)
	for i := range recs {
		recs[i] = pqRecord{
			Text: "text " + string(rune('a'+i%26)), Label: int64(i % 4), Idx: int32(i), Score: float64(i) + 0.25,
			Weight: 1.5, Flag: i%2 == 0, Endings: []string{"e1", "e2"}, Tokens: []int64{int64(i), -1},
			Answer: pqAnswer{Value: "v", Aliases: []string{"x", "y"}}, Passages: []pqPassage{{"t", int64(i)}},
		}
		if i%3 == 0 {
			recs[i].Note = &note
			recs[i].Endings = nil
			recs[i].Passages = nil
		}
	}
	return recs
}

// wantFields is what Parquet must give for r: the documented Go types.
func wantFields(r pqRecord) map[string]any {
	m := map[string]any{
		"text": r.Text, "label": r.Label, "idx": int64(r.Idx), "score": r.Score, "weight": float64(r.Weight),
		"flag": r.Flag, "endings": []any{}, "tokens": []any{}, "note": nil,
		"answer":   map[string]any{"value": r.Answer.Value, "aliases": []any{}},
		"passages": []any{},
	}
	for _, e := range r.Endings {
		m["endings"] = append(m["endings"].([]any), e)
	}
	for _, tok := range r.Tokens {
		m["tokens"] = append(m["tokens"].([]any), tok)
	}
	for _, a := range r.Answer.Aliases {
		m["answer"].(map[string]any)["aliases"] = append(m["answer"].(map[string]any)["aliases"].([]any), a)
	}
	for _, p := range r.Passages {
		m["passages"] = append(m["passages"].([]any), map[string]any{"title": p.Title, "score": p.Score})
	}
	if r.Note != nil {
		m["note"] = *r.Note
	}
	return m
}

// writeParquet writes recs in row groups of groupRows rows and returns the
// file's bytes.
func writeParquet(t testing.TB, recs []pqRecord, groupRows int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[pqRecord](&buf, parquet.Compression(&parquet.Snappy))
	for i := 0; i < len(recs); i += groupRows {
		if _, err := w.Write(recs[i:min(i+groupRows, len(recs))]); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil { // ends the row group
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParquetRoundTrip(t *testing.T) {
	recs := pqRecords(150)
	data := writeParquet(t, recs, 40)
	path := filepath.Join(t.TempDir(), "train-00000-of-00001.parquet")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data))); err != nil || len(f.RowGroups()) != 4 {
		t.Fatalf("the test file should have 4 row groups: %v", err)
	}
	for _, open := range []struct {
		name string
		read func(string) []Row
	}{
		{"Parquet", func(p string) []Row { rows, err := collect(Parquet(p)); mustNil(t, err); return rows }},
		{"Open", func(p string) []Row { rows, err := collect(Open(p)); mustNil(t, err); return rows }},
	} {
		t.Run(open.name, func(t *testing.T) {
			rows := open.read(path)
			if len(rows) != len(recs) {
				t.Fatalf("got %d rows, want %d", len(rows), len(recs))
			}
			for i, r := range rows {
				if r.Line != i+1 || r.Unit != UnitRow || r.Source != path {
					t.Fatalf("row %d at %s", i+1, r.Where())
				}
				if want := wantFields(recs[i]); !reflect.DeepEqual(r.Fields, want) {
					t.Fatalf("row %d:\n got %#v\nwant %#v", i+1, r.Fields, want)
				}
			}
			// The getters work on Parquet rows.
			r := rows[4]
			endings, err := r.Strings("endings")
			mustNil(t, err)
			label, err := r.Int("label")
			mustNil(t, err)
			ans, err := r.Object("answer")
			mustNil(t, err)
			aliases, err := ans.Strings("aliases")
			mustNil(t, err)
			ps, err := r.Objects("passages")
			mustNil(t, err)
			title, err := ps[0].String("title")
			mustNil(t, err)
			if !reflect.DeepEqual(endings, []string{"e1", "e2"}) || label != 0 || !reflect.DeepEqual(aliases, []string{"x", "y"}) || title != "t" {
				t.Errorf("getters: %q %d %q %q", endings, label, aliases, title)
			}
			_, err = r.String("note")
			wantErr(t, err, path+`: row 5: field "note" is null, want a string`)
		})
	}
}

func mustNil(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestParquetEarlyBreak(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.parquet")
	mustNil(t, os.WriteFile(path, writeParquet(t, pqRecords(100), 30), 0o644))
	n := 0
	for r, err := range Parquet(path) {
		mustNil(t, err)
		if n++; n == 35 {
			if r.Line != 35 {
				t.Errorf("row 35 numbered %d", r.Line)
			}
			break
		}
	}
}

func TestParquetDamaged(t *testing.T) {
	good := writeParquet(t, pqRecords(200), 50)
	corrupt := append([]byte{}, good...)
	// Overwrite the middle of the data pages, leaving the footer intact.
	for i := len(corrupt) / 4; i < len(corrupt)/2; i++ {
		corrupt[i] = 0xff
	}
	bigFooter := append([]byte{}, good...)
	copy(bigFooter[len(bigFooter)-8:], []byte{0xff, 0xff, 0xff, 0x7f})
	tests := []struct {
		name string
		data []byte
		err  []string
	}{
		{"truncated", good[:len(good)-100], []string{"d.parquet: no Parquet footer", "truncated"}},
		{"truncated to the head", good[:4], []string{"d.parquet: not a Parquet file: only 4 bytes long"}},
		{"json", []byte(`{"text": "not parquet at all"}`), []string{`d.parquet: not a Parquet file: it starts with "{\"te"`}},
		{"gzip", append([]byte{0x1f, 0x8b, 8, 0}, good...), []string{"d.parquet: not a Parquet file: it holds gzip data", "decompress"}},
		{"footer length", bigFooter, []string{"d.parquet: the footer claims 2147483647 bytes"}},
		{"corrupt pages", corrupt, []string{"d.parquet: row ", "damaged"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "d.parquet")
			mustNil(t, os.WriteFile(path, tt.data, 0o644))
			rows, err := collect(Parquet(path))
			wantErr(t, err, tt.err...)
			var re *ReadError
			if !errors.As(err, &re) {
				t.Fatalf("error %T is not a *ReadError", err)
			}
			if re.Line > 0 && (re.Unit != UnitRow || re.Line != len(rows)+1) {
				t.Errorf("error at %s after %d good rows", err, len(rows))
			}
			t.Logf("%d rows, then: %v", len(rows), err)
		})
	}
	_, err := collect(Parquet(filepath.Join(t.TempDir(), "d.parquet.gz")))
	wantErr(t, err, "d.parquet.gz: a .gz-compressed Parquet file cannot be read")
}

func FuzzParquet(f *testing.F) {
	good := writeParquet(f, pqRecords(5), 2)
	for _, s := range sharedtest.Damage(good) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		parquetRows(bytes.NewReader(data), int64(len(data)), "f.parquet", func(r Row, err error) bool {
			if err != nil {
				var re *ReadError
				if !errors.As(err, &re) {
					t.Fatalf("error %T is not a *ReadError: %v", err, err)
				}
				return false
			}
			if n++; r.Line != n {
				t.Fatalf("row %d numbered %d", n, r.Line)
			}
			// A few bytes of levels can declare billions of rows; stop early.
			return n < 100
		})
	})
}

// TestParquetArrowLayout writes, level by level, the layout pyarrow gives
// Hugging Face files: every column optional, lists as
// `optional group x (LIST) { repeated group list { optional element } }`.
// The repetition and definition levels are worked out by hand from the
// Parquet spec; parquet-go only stores them.
func TestParquetArrowLayout(t *testing.T) {
	schema := parquet.NewSchema("schema", parquet.Group{
		"ctx":     parquet.Optional(parquet.String()),
		"label":   parquet.Optional(parquet.Int(64)),
		"endings": parquet.Optional(parquet.List(parquet.Optional(parquet.String()))),
		"answer": parquet.Optional(parquet.Group{
			"value":   parquet.Optional(parquet.String()),
			"aliases": parquet.Optional(parquet.List(parquet.Optional(parquet.String()))),
		}),
	})
	// Leaf columns in schema order: 0 answer.aliases.list.element (max
	// def 4), 1 answer.value (2), 2 ctx (1), 3 endings.list.element (3),
	// 4 label (1).
	v := func(x any, rep, def, col int) parquet.Value { return parquet.ValueOf(x).Level(rep, def, col) }
	rows := []parquet.Row{
		// {answer: {aliases: ["q"], value: "v"}, ctx: "a", endings: ["x", null, "z"], label: 1}
		{v("q", 0, 4, 0), v("v", 0, 2, 1), v("a", 0, 1, 2), v("x", 0, 3, 3), v(nil, 1, 2, 3), v("z", 1, 3, 3), v(int64(1), 0, 1, 4)},
		// every column null
		{v(nil, 0, 0, 0), v(nil, 0, 0, 1), v(nil, 0, 0, 2), v(nil, 0, 0, 3), v(nil, 0, 0, 4)},
		// {answer: {aliases: [], value: null}, ctx: null, endings: [], label: null}
		{v(nil, 0, 2, 0), v(nil, 0, 1, 1), v(nil, 0, 0, 2), v(nil, 0, 1, 3), v(nil, 0, 0, 4)},
	}
	want := []map[string]any{
		{"answer": map[string]any{"aliases": []any{"q"}, "value": "v"}, "ctx": "a", "endings": []any{"x", nil, "z"}, "label": int64(1)},
		{"answer": nil, "ctx": nil, "endings": nil, "label": nil},
		{"answer": map[string]any{"aliases": []any{}, "value": nil}, "ctx": nil, "endings": []any{}, "label": nil},
	}
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, schema)
	if _, err := w.WriteRows(rows); err != nil {
		t.Fatal(err)
	}
	mustNil(t, w.Close())
	path := filepath.Join(t.TempDir(), "validation-00000-of-00001.parquet")
	mustNil(t, os.WriteFile(path, buf.Bytes(), 0o644))
	got, err := collect(Parquet(path))
	mustNil(t, err)
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i].Fields, want[i]) {
			t.Errorf("row %d:\n got %#v\nwant %#v", i+1, got[i].Fields, want[i])
		}
	}
	_, err = got[0].Strings("endings")
	wantErr(t, err, `: row 1: field "endings[1]" is null, want a string`)
}
