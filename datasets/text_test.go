package datasets

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// Counts are from wc -l; sha256 values are the ones SOURCES.md records for
// the files (and, for wiki.test.raw, the canonical llama.cpp value).
func TestLinesSharedFiles(t *testing.T) {
	tests := []struct {
		file         string
		lines        int
		first, last  string
		sha256, line string // sha256 of the file; line 2 when set
	}{
		{"data/wikitext2/wiki.test.raw", 4358, " ", " ", "173c87a53759e0201f33e0ccf978e510c2042d7f2cb78229d9a50d79b9e7dd08", " = Robert Boulter = "},
		{"data/wikitext2/wiki.test.tokens", 4358, " ", " ", "d790b833ef8cf03a90db7bf1271b7520b83c45ce07ba3c1a9699df81e239eca0", " = Robert <unk> = "},
		{"data/ptb/ptb.test.txt", 3761, " no it was n't black monday ", " we want to see nelson <unk> and all our <unk> out of prison and if we are n't disciplined we may not see them here with us ", "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0", ""},
		{"data/ptb/ptb.valid.txt", 3370, " consumers may want to move their telephones a little closer to the tv set ", "", "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2", ""},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			path := sharedtest.Path(t, tt.file)
			lines, err := collect(Lines(path))
			if err != nil {
				t.Fatal(err)
			}
			if len(lines) != tt.lines {
				t.Fatalf("got %d lines, want %d", len(lines), tt.lines)
			}
			for i, l := range lines {
				if l.Num != i+1 {
					t.Fatalf("line %d numbered %d", i+1, l.Num)
				}
			}
			if lines[0].Text != tt.first || tt.last != "" && lines[len(lines)-1].Text != tt.last {
				t.Errorf("first %q, last %q", lines[0].Text, lines[len(lines)-1].Text)
			}
			if tt.line != "" && lines[1].Text != tt.line {
				t.Errorf("line 2 = %q, want %q", lines[1].Text, tt.line)
			}
			// The lines joined back must be the file, byte for byte.
			h := sha256.New()
			for _, l := range lines {
				io.WriteString(h, l.Text+"\n")
			}
			if got := hex.EncodeToString(h.Sum(nil)); got != tt.sha256 {
				t.Errorf("sha256 of the joined lines = %s, want %s", got, tt.sha256)
			}
			text, err := ReadText(path)
			if err != nil {
				t.Fatal(err)
			}
			if sum := sha256.Sum256([]byte(text)); hex.EncodeToString(sum[:]) != tt.sha256 {
				t.Errorf("sha256 of ReadText = %x, want %s", sum, tt.sha256)
			}
		})
	}
}

// hellaswag_val_full.txt.bz2 decompresses to 60252 lines (bzcat | wc -l),
// the concatenation of the three .part files.
func TestLinesBzip2(t *testing.T) {
	bz := sharedtest.Path(t, "data/hellaswag/hellaswag_val_full.txt.bz2")
	got, err := collect(Lines(bz))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 60252 {
		t.Fatalf("got %d lines, want 60252", len(got))
	}
	if want := "Roof shingle removal: A man is sitting on a roof. he"; got[0].Text != want {
		t.Errorf("line 1 = %q, want %q", got[0].Text, want)
	}
	var parts []Line
	for i := range 3 {
		p, err := collect(Lines(sharedtest.Path(t, "data/hellaswag/hellaswag_val_full.part"+string(rune('0'+i))+".txt")))
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p...)
	}
	if len(parts) != len(got) {
		t.Fatalf("parts have %d lines, .bz2 %d", len(parts), len(got))
	}
	for i := range parts {
		if parts[i].Text != got[i].Text {
			t.Fatalf("line %d: part text %q, .bz2 text %q", i+1, parts[i].Text, got[i].Text)
		}
	}
	size := 0
	for _, l := range got {
		size += len(l.Text) + 1
	}
	if size != 7770677 {
		t.Errorf("the lines hold %d bytes, want 7770677", size)
	}
}

func TestLinesEdgeCases(t *testing.T) {
	long := strings.Repeat("x", 200<<10) // longer than the 64 KiB buffer
	tests := []struct {
		name, content string
		want          []string
	}{
		{"one newline", "\n", []string{""}},
		{"no final newline", "a\n b", []string{"a", " b"}},
		{"blank lines kept", "\n\n x \n", []string{"", "", " x "}},
		{"crlf kept", "a\r\nb\r\n", []string{"a\r", "b\r"}},
		{"long line", "a\n" + long + "\nb\n", []string{"a", long, "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines, err := collect(Lines(writeFile(t, "t.txt", tt.content)))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range lines {
				got = append(got, l.Text)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("got %d lines %.80q, want %d %.80q", len(got), got, len(tt.want), tt.want)
			}
		})
	}
}

func TestTextInvalidUTF8(t *testing.T) {
	content := "fine\n\xc3\xa9t\xc3 bad\nmore\n"
	path := writeFile(t, "w.txt", content)
	lines, err := collect(Lines(path))
	wantErr(t, err, "w.txt:2: invalid UTF-8 at byte 4 of the line (0xc3)", "iconv")
	if len(lines) != 1 {
		t.Errorf("got %d lines before the error, want 1", len(lines))
	}
	_, err = ReadText(path)
	wantErr(t, err, "w.txt:2: invalid UTF-8 at byte 4 of the line")
}

func TestCompressedErrors(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(strings.Repeat("{\"a\": 1}\n", 20000)))
	zw.Close()
	full := buf.Bytes()
	tests := []struct {
		name string
		data []byte
		err  []string
	}{
		{"truncated gzip", full[:len(full)/2], []string{"t.jsonl.gz:", "unexpected EOF", "truncated"}},
		{"not gzip", []byte("{\"a\": 1}\n"), []string{"t.jsonl.gz: not a valid gzip file", "rename"}},
		{"bad checksum", append(append([]byte{}, full[:len(full)-8]...), 0, 0, 0, 0, 0, 0, 0, 0), []string{"t.jsonl.gz:", "corrupt compressed data"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "t.jsonl.gz")
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := collect(JSONL(path))
			wantErr(t, err, tt.err...)
			var re *ReadError
			if !errors.As(err, &re) {
				t.Errorf("error %T is not a *ReadError", err)
			}
		})
	}
	t.Run("truncated bzip2", func(t *testing.T) {
		data, err := os.ReadFile(sharedtest.Path(t, "data/hellaswag/hellaswag_val_full.txt.bz2"))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "h.txt.bz2")
		// 300 kB hold the first 900 kB bzip2 block and part of the next.
		os.WriteFile(path, data[:300_000], 0o644)
		lines, err := collect(Lines(path))
		wantErr(t, err, "h.txt.bz2:", "truncated")
		if len(lines) == 0 {
			t.Error("no line was read before the error")
		}
	})
}

func FuzzLines(f *testing.F) {
	f.Add([]byte(" = Robert = \n \n"))
	f.Add([]byte("a\r\nb"))
	f.Add([]byte("\xff\n"))
	for _, s := range sharedtest.Corrupted(f, 4096, "data/wikitext2/wiki.test.raw", "data/ptb/ptb.test.txt") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got []string
		var err error
		textLines(bytes.NewReader(data), "f.txt", func(l Line, e error) bool {
			if e != nil {
				err = e
				return false
			}
			if l.Num != len(got)+1 {
				t.Fatalf("line %d numbered %d", len(got)+1, l.Num)
			}
			got = append(got, l.Text)
			return true
		})
		if err == nil {
			joined := strings.Join(got, "\n")
			if len(got) > 0 && bytes.HasSuffix(data, []byte("\n")) {
				joined += "\n"
			}
			if joined != string(data) {
				t.Fatalf("lines %q do not rebuild %q", got, data)
			}
		} else if utf8.Valid(data) {
			t.Fatalf("error %v on valid UTF-8", err)
		}
	})
}
