package datasets

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// Expected values below were computed with Python's json module on the
// shared files (python3 -c 'json.loads(...)'), and counted with wc -l.
func TestJSONLSharedFiles(t *testing.T) {
	t.Run("lambada_test", func(t *testing.T) {
		path := sharedtest.Path(t, "data/lambada/lambada_test.jsonl")
		rows, err := collect(JSONL(path))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 5153 {
			t.Fatalf("got %d rows, want 5153", len(rows))
		}
		h := sha256.New()
		for _, r := range rows {
			s, err := r.String("text")
			if err != nil {
				t.Fatal(err)
			}
			h.Write([]byte(s + "\n"))
		}
		// sha256 of "\n".join(texts)+"\n" by Python.
		if got, want := hex.EncodeToString(h.Sum(nil)), "af89ee3f01013436d20f568d426a163240423b3e8897f6ec20921523665bbeda"; got != want {
			t.Errorf("sha256 of all texts = %s, want %s", got, want)
		}
		first, _ := rows[0].String("text")
		if want := "In my palm is a clear stone, and inside it is a small ivory statuette. A guardian angel.\n\n\"Figured"; !strings.HasPrefix(first, want) || !strings.HasSuffix(first, "I don't care about signs") || len(first) != 345 {
			t.Errorf("first text = %q (%d bytes)", first, len(first))
		}
		// Line 6 holds \u201c escapes (ensure_ascii).
		sixth, _ := rows[5].String("text")
		if rows[5].Line != 6 || !strings.Contains(sixth, "\u201cYou do") {
			t.Errorf("line %d text %.60q: want line 6 with a decoded \\u201c", rows[5].Line, sixth)
		}
		last, _ := rows[5152].String("text")
		if rows[5152].Line != 5153 || !strings.HasSuffix(last, "ule like that.\u201d\n\u201cI would never forget the rules, Grandmother") {
			t.Errorf("last row line %d ends %q", rows[5152].Line, last[len(last)-40:])
		}
	})
	t.Run("gpt2 ids", func(t *testing.T) {
		path := sharedtest.Path(t, "data/lambada/generated_lambada_test_gpt2_ids.jsonl")
		n := 0
		for r, err := range JSONL(path) {
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				ids, err := r.Ints("context_ids")
				if err != nil {
					t.Fatal(err)
				}
				cont, _ := r.Ints("continuation_ids")
				if !reflect.DeepEqual(ids[:5], []int{818, 616, 18057, 318, 257}) || !reflect.DeepEqual(cont, []int{5895}) {
					t.Errorf("first record: context %v…, continuation %v", ids[:5], cont)
				}
				if v, _ := r.Get("i"); v != int64(0) {
					t.Errorf(`"i" = %#v, want int64(0)`, v)
				}
			}
			n++
		}
		if n != 5153 {
			t.Errorf("got %d rows, want 5153", n)
		}
	})
	t.Run("piqa llm-foundry", func(t *testing.T) {
		path := sharedtest.Path(t, "data/piqa/llmfoundry_piqa_valid.jsonl")
		rows, err := collect(JSONL(path))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1838 {
			t.Fatalf("got %d rows, want 1838", len(rows))
		}
		gold, err := rows[1].Int("gold")
		choices, err2 := rows[1].Strings("choices")
		query, err3 := rows[1].String("query")
		if err := errors.Join(err, err2, err3); err != nil {
			t.Fatal(err)
		}
		if gold != 1 || !reflect.DeepEqual(choices, []string{"replace drawer with bobby pin", "finish, woodgrain with  bobby pin"}) || query != "Question: dresser\n" {
			t.Errorf("row 2: gold %d, choices %q, query %q", gold, choices, query)
		}
	})
}

// The .gz files of openai/gpt-3 and their gunzipped twins must read the same.
func TestJSONLGzipEqualsTwin(t *testing.T) {
	for _, name := range []string{"cycle_letters_in_word", "reversed_words"} {
		t.Run(name, func(t *testing.T) {
			gz := sharedtest.Path(t, "data/gpt3/"+name+".jsonl.gz")
			plain := sharedtest.Path(t, "data/gpt3/"+name+".jsonl")
			a, err := collect(JSONL(gz))
			if err != nil {
				t.Fatal(err)
			}
			b, err := collect(JSONL(plain))
			if err != nil {
				t.Fatal(err)
			}
			if len(a) != 10000 || len(b) != 10000 {
				t.Fatalf("got %d and %d rows, want 10000", len(a), len(b))
			}
			for i := range a {
				if a[i].Line != b[i].Line || !reflect.DeepEqual(a[i].Fields, b[i].Fields) {
					t.Fatalf("row %d differs: %v:%d %v vs %v:%d %v", i, gz, a[i].Line, a[i].Fields, plain, b[i].Line, b[i].Fields)
				}
			}
		})
	}
	path := sharedtest.Path(t, "data/gpt3/cycle_letters_in_word.jsonl.gz")
	for r, err := range JSONL(path) {
		if err != nil {
			t.Fatal(err)
		}
		c, _ := r.String("context")
		d, _ := r.String("completion")
		if c != "\nasinoc =" || d != " casino" {
			t.Errorf("first record: %q %q", c, d)
		}
		break
	}
}

func TestJSONLMalformed(t *testing.T) {
	tests := []struct {
		name, content string
		rows          int      // rows read before the error
		err           []string // substrings of the error
	}{
		{"bad json", "{\"a\": 1}\n{\"a\": }\n", 1, []string{"bad.jsonl:2: invalid JSON at byte 7: invalid character '}'"}},
		{"truncated line", "{\"a\": 1}\n{\"a\": \"xy\n", 1, []string{"bad.jsonl:2: invalid JSON: the text ends inside a value", "pretty-printed"}},
		{"pretty printed", "{\n  \"a\": 1\n}\n", 0, []string{"bad.jsonl:1: invalid JSON"}},
		{"array line", "[1, 2]\n", 0, []string{"bad.jsonl:1: not a JSON object: found a JSON array"}},
		{"null line", "null\n", 0, []string{"bad.jsonl:1: not a JSON object: found JSON null"}},
		{"two objects", "{\"a\":1} {\"b\":2}\n", 0, []string{"bad.jsonl:1: extra data after the JSON value at byte 8"}},
		{"invalid utf8", "{\"a\": \"ok\"}\n{\"a\": \"caf\xe9\"}\n", 1, []string{"bad.jsonl:2: invalid UTF-8 at byte 11", "iconv"}},
		{"huge number", "{\"a\": 1e999}\n", 0, []string{"bad.jsonl:1: number 1e999 is out of the range"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "bad.jsonl", tt.content)
			rows, err := collect(JSONL(path))
			wantErr(t, err, tt.err...)
			var re *ReadError
			if !errors.As(err, &re) {
				t.Errorf("error %T is not a *ReadError", err)
			}
			if len(rows) != tt.rows {
				t.Errorf("got %d rows before the error, want %d", len(rows), tt.rows)
			}
		})
	}
}

func TestJSONLValues(t *testing.T) {
	content := "\ufeff{\"s\": \"x\", \"i\": -3, \"f\": 2.5, \"e\": 1e3, \"big\": 12345678901234567890, \"b\": false, \"n\": null, \"l\": [1, \"a\", [2.0]], \"o\": {\"k\": 7}}\r\n{}"
	rows, err := collect(JSONL(writeFile(t, "v.jsonl", content)))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Line != 1 || rows[1].Line != 2 {
		t.Fatalf("got %d rows at lines %v", len(rows), rows)
	}
	want := map[string]any{
		"s": "x", "i": int64(-3), "f": 2.5, "e": 1000.0, "big": 12345678901234567890.0, "b": false, "n": nil,
		"l": []any{int64(1), "a", []any{2.0}}, "o": map[string]any{"k": int64(7)},
	}
	if !reflect.DeepEqual(rows[0].Fields, want) {
		t.Errorf("got %#v\nwant %#v", rows[0].Fields, want)
	}
	if len(rows[1].Fields) != 0 {
		t.Errorf("second row: got %v, want no fields", rows[1].Fields)
	}
}

func TestJSONLEarlyBreakAndMissingFile(t *testing.T) {
	path := writeFile(t, "x.jsonl", "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n")
	n := 0
	for _, err := range JSONL(path) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Errorf("read %d rows, want 2", n)
	}
	_, err := collect(JSONL(path + ".missing"))
	wantErr(t, err, "x.jsonl.missing", "no such file")
}

func TestJSONArray(t *testing.T) {
	tests := []struct {
		name, content string
		lines         []int
		err           []string
	}{
		{"array", "\n [\n  {\"a\": 1},\n  {\"a\": 2,\n   \"b\": [3]}\n]\n", []int{3, 4}, nil},
		{"one line", "[{\"a\":1},{\"a\":2}]", []int{1, 1}, nil},
		{"json lines in .json", "{\"a\":1}\n{\"a\":2}\n", []int{1, 2}, nil},
		{"not objects", "[\n{\"a\":1},\n2]", []int{2}, []string{"d.json:3: not a JSON object: found a JSON number"}},
		{"syntax", "[\n{\"a\":1},\n{\"a\" 1}]", []int{2}, []string{"d.json:3: invalid JSON: invalid character '1'"}},
		{"truncated", "[\n{\"a\":1},\n{\"a\":", []int{2}, []string{"d.json:3: invalid JSON: the file ends inside the array", "truncated"}},
		{"trailing", "[{\"a\":1}]\n[]", []int{1}, []string{"d.json:2: extra data after the top-level array"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := collect(JSON(writeFile(t, "d.json", tt.content)))
			if tt.err != nil {
				wantErr(t, err, tt.err...)
			} else if err != nil {
				t.Fatal(err)
			}
			var lines []int
			for _, r := range rows {
				lines = append(lines, r.Line)
			}
			if !reflect.DeepEqual(lines, tt.lines) {
				t.Errorf("rows at lines %v, want %v", lines, tt.lines)
			}
		})
	}
}

func FuzzJSONL(f *testing.F) {
	f.Add([]byte("{\"text\": \"a\"}\n\n{\"label\": 1, \"l\": [1.5, \"x\", null]}\n"))
	f.Add([]byte("{\"a\": {\"b\": [1, 2, {\"c\": -0.0}]}}\r\n{"))
	f.Add([]byte("\ufeff[1]\n\"s\"\n"))
	f.Add([]byte("{\"a\":1} {}\n{\"x\":\"\xff\"}"))
	f.Add([]byte(" [ {\"a\": 1},\n{\"b\": [2]} ]\n"))
	for _, s := range sharedtest.Corrupted(f, 4096, "data/lambada/lambada_test.jsonl", "data/superglue/multirc_val.jsonl",
		"data/gpt3/two_digit_addition.jsonl", "data/hellaswag/llmfoundry_hellaswag_small.jsonl", "data/gpt2_tokenizer/public_test_vectors.json") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// jsonLines must give strictly increasing lines; jsonAny may read
		// an array with several objects on one line.
		for _, mode := range []struct {
			read   func(io.Reader, string, func(Row, error) bool)
			strict bool
		}{{jsonLines, true}, {jsonAny, false}} {
			last := 0
			var rows []Row
			var err error
			mode.read(bytes.NewReader(data), "fuzz.jsonl", func(r Row, e error) bool {
				if e != nil {
					err = e
					return false
				}
				rows = append(rows, r)
				return true
			})
			lines := bytes.Count(data, []byte("\n")) + 1
			for _, r := range rows {
				if r.Line < last || mode.strict && r.Line == last || r.Line > lines || r.Fields == nil {
					t.Fatalf("row at line %d after line %d (of %d), fields %v", r.Line, last, lines, r.Fields)
				}
				last = r.Line
				// A row must survive a JSON round trip.
				b, merr := json.Marshal(r.Fields)
				if merr != nil {
					t.Fatalf("marshal %v: %v", r.Fields, merr)
				}
				back, derr := decodeObject(b)
				if derr != nil || !sameJSON(back, r.Fields) {
					t.Fatalf("round trip of %v gave %v, %v", r.Fields, back, derr)
				}
			}
			if err != nil {
				var re *ReadError
				if !errors.As(err, &re) || re.Line < last || re.Line > lines || !strings.HasPrefix(err.Error(), "fuzz.jsonl") {
					t.Fatalf("bad error %v after line %d", err, last)
				}
			}
		}
	})
}

// sameJSON compares decoded JSON values, taking int64 and float64 numbers
// of the same value as equal (json.Marshal writes 2.0 as 2).
func sameJSON(a, b any) bool {
	num := func(v any) (float64, bool) {
		switch x := v.(type) {
		case int64:
			return float64(x), true
		case float64:
			return x, true
		}
		return 0, false
	}
	if x, ok := num(a); ok {
		y, ok := num(b)
		return ok && x == y
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !sameJSON(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// Field errors from rows of a real file name the file and the line.
func TestJSONLFieldErrors(t *testing.T) {
	path := writeFile(t, "lambada_test.jsonl", "{\"text\": \"a\", \"label\": 1}\n{\"txt\": \"b\", \"label\": \"1\"}\n")
	rows, err := collect(JSONL(path))
	mustNil(t, err)
	if len(rows) != 2 {
		t.Fatalf("got %d rows, want 2", len(rows))
	}
	_, err = rows[1].String("text")
	wantErr(t, err, `lambada_test.jsonl:2: field "text" missing (did you mean "txt"?)`)
	if !errors.Is(err, ErrMissingField) {
		t.Errorf("%v is not ErrMissingField", err)
	}
	_, err = rows[1].Int("label")
	wantErr(t, err, `lambada_test.jsonl:2: field "label" is a string, want an integer (got "1"; the number is quoted`)
}
