package datasets

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// The digests are sha256("\n".join(segments) + "\n") of the text that
// sacreBLEU's own procedure gives, computed with Python:
//
//	for line in open(f, encoding="utf-8", newline="\n"):
//	    if line.startswith("<seg "):
//	        out.append(re.sub(r"\s+", " ", re.sub(r"<seg.*?>(.*)</seg>.*?", "\\1", line).strip()))
//
// and the document counts and last docid from the <doc docid="…"> lines.
func TestSGMLSharedFiles(t *testing.T) {
	tests := []struct {
		file    string
		sha256  string
		docs    int
		lastDoc string
	}{
		{"newstest2014-fren-src.fr.sgm", "9ed99a750c7818b7bbc62230ed0b1a1673325989bdcf9f81a7d7e67bde8ca473", 176, "998-radio-canada.ca"},
		{"newstest2014-fren-ref.fr.sgm", "9ed99a750c7818b7bbc62230ed0b1a1673325989bdcf9f81a7d7e67bde8ca473", 176, "998-radio-canada.ca"},
		{"newstest2014-fren-src.en.sgm", "9a12cb6e8efb3509ebede627e4a9c83ee64935509d561ff70f4b7bd5f93f6096", 176, "998-radio-canada.ca"},
		{"newstest2014-fren-ref.en.sgm", "9a12cb6e8efb3509ebede627e4a9c83ee64935509d561ff70f4b7bd5f93f6096", 176, "998-radio-canada.ca"},
		{"newstest2014-deen-src.de.sgm", "ae5d110486bc33d7175e9e28c7d0051eb3e5fcd2166dd93371089852c091a20e", 164, "969-news.com.au"},
		{"newstest2014-deen-ref.de.sgm", "ae5d110486bc33d7175e9e28c7d0051eb3e5fcd2166dd93371089852c091a20e", 164, "969-news.com.au"},
		{"newstest2014-deen-src.en.sgm", "7294bccf2879a97b3706b95c9595f1459617a8ee7130d5d8581c910e69736971", 164, "969-news.com.au"},
		{"newstest2014-deen-ref.en.sgm", "7294bccf2879a97b3706b95c9595f1459617a8ee7130d5d8581c910e69736971", 164, "969-news.com.au"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			segs, err := SGML(sharedtest.Path(t, "data/wmt14/"+tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(segs) != 3003 {
				t.Fatalf("got %d segments, want 3003", len(segs))
			}
			h := sha256.New()
			docs := map[string]bool{}
			for _, s := range segs {
				h.Write([]byte(s.Text + "\n"))
				docs[s.DocID] = true
			}
			if got := hex.EncodeToString(h.Sum(nil)); got != tt.sha256 {
				t.Errorf("sha256 of the segments = %s, want %s", got, tt.sha256)
			}
			if len(docs) != tt.docs || segs[len(segs)-1].DocID != tt.lastDoc {
				t.Errorf("%d documents, last %q; want %d, %q", len(docs), segs[len(segs)-1].DocID, tt.docs, tt.lastDoc)
			}
		})
	}
}

// Known segments, read off the files with head and grep -n.
func TestParallelSGMLFrEn(t *testing.T) {
	src := sharedtest.Path(t, "data/wmt14/newstest2014-fren-src.fr.sgm")
	ref := sharedtest.Path(t, "data/wmt14/newstest2014-fren-ref.en.sgm")
	pairs, err := ParallelSGML(src, ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 3003 {
		t.Fatalf("got %d pairs, want 3003", len(pairs))
	}
	tests := []struct {
		i             int
		doc, seg      string
		srcLine       int
		source, refer string
	}{
		{0, "1009-lemondefr", "1", 3, `Spectaculaire saut en "wingsuit" au-dessus de Bogota`, "Spectacular Wingsuit Jump Over Bogota"},
		// The no-break space before '?' becomes a plain space.
		{3, "1016-latimes", "1", 8, "Une boîte noire dans votre voiture ?", "A black box in your car?"},
	}
	for _, tt := range tests {
		p := pairs[tt.i]
		if p.Source.DocID != tt.doc || p.Source.SegID != tt.seg || p.Reference.SegID != tt.seg || p.Source.Line != tt.srcLine ||
			p.Source.Text != tt.source || p.Reference.Text != tt.refer {
			t.Errorf("pair %d = %+v", tt.i, p)
		}
	}
	// Segment 1336 (line 1490) has a double space, and no-break spaces
	// around the guillemets.
	if got, want := pairs[1335].Source.Text, "Tamar-Mattis a déclaré que son organisation soutenait la loi australienne car « elle autorise les adultes à choisir d'être reconnu sous l’appellation troisième sexe »."; got != want || pairs[1335].Source.Line != 1490 {
		t.Errorf("segment 1336 at line %d = %q", pairs[1335].Source.Line, got)
	}
	if last := pairs[3002].Source; last.SegID != "16" || last.Text != "Les recherches porteront sur l'inclusion sous tous ses angles: linguistique, scolaire, social et culturel." {
		t.Errorf("last segment %+v", last)
	}
}

func TestSGMLSacreBLEURules(t *testing.T) {
	tests := []struct {
		name, line string
		text, id   string
	}{
		{"plain", `<seg id="5">a b</seg>`, "a b", "5"},
		{"trailing text kept", `<seg id="5">a</seg> tail`, "a tail", "5"},
		{"last closing tag", `<seg id=7>a</seg>b</seg>`, "a</seg>b", "7"},
		{"entities kept", `<seg id='x'>AT&amp;T &lt;b&gt;</seg>`, "AT&amp;T &lt;b&gt;", "x"},
		{"python white space", "<seg id=\"1\">\u00a0 a\u2009\u2009b\x1c c\r\t</seg>\r", "a b c", "1"},
		{"not white space", "<seg id=\"1\">a\u200bb\u180ec</seg>", "a\u200bb\u180ec", "1"},
		{"no id", `<seg >x</seg>`, "x", ""},
		{"docid is not id", `<seg docid="d" id="2">x</seg>`, "x", "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			segs, err := SGML(writeFile(t, "s.sgm", "<doc docid=\"d1\">\n"+tt.line+"\n</doc>\n"))
			if err != nil {
				t.Fatal(err)
			}
			if len(segs) != 1 || segs[0].Text != tt.text || segs[0].SegID != tt.id || segs[0].DocID != "d1" || segs[0].Line != 2 {
				t.Errorf("got %+v, want text %q id %q", segs, tt.text, tt.id)
			}
		})
	}
	// Lines that do not start with "<seg " are not segments.
	segs, err := SGML(writeFile(t, "i.sgm", " <seg id=\"1\">indented</seg>\n<SEG id=\"2\">upper</SEG>\n<seg id=\"3\">ok</seg>\n"))
	if err != nil || len(segs) != 1 || segs[0].Text != "ok" || segs[0].DocID != "" {
		t.Errorf("got %+v, %v", segs, err)
	}
}

// pythonSpace lists the code points for which Python 3.11's str.isspace()
// is true: [hex(i) for i in range(0x110000) if chr(i).isspace()].
var pythonSpace = []rune{0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
	0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
	0x2028, 0x2029, 0x202f, 0x205f, 0x3000}

func TestPySpace(t *testing.T) {
	want := map[rune]bool{}
	for _, r := range pythonSpace {
		want[r] = true
	}
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if pySpace(r) != want[r] {
			t.Errorf("pySpace(%U) = %v, want %v", r, pySpace(r), want[r])
		}
	}
}

func TestSGMLErrors(t *testing.T) {
	tests := []struct {
		name, content string
		err           []string
	}{
		{"unclosed", "<doc docid=\"a\">\n<seg id=\"1\">x</seg>\n<seg id=\"2\">y\n", []string{"e.sgm:3: segment without a closing </seg>", "one line"}},
		{"no tag end", "<seg id=\"1\"\n", []string{"e.sgm:1: segment without a closing </seg>"}},
		{"empty", "<srcset>\n</srcset>\n", []string{"e.sgm: no segments", "Lines"}},
		{"utf8", "<seg id=\"1\">\xe9</seg>\n", []string{"e.sgm:1: invalid UTF-8 at byte 13"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := SGML(writeFile(t, "e.sgm", tt.content))
			wantErr(t, err, tt.err...)
			var re *ReadError
			if !errors.As(err, &re) {
				t.Errorf("error %T is not a *ReadError", err)
			}
		})
	}
}

func TestParallelSGMLMismatch(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	src := write("src.sgm", "<doc docid=\"a\">\n<seg id=\"1\">un</seg>\n<seg id=\"2\">deux</seg>\n</doc>\n<doc docid=\"b\">\n<seg id=\"1\">trois</seg>\n")
	tests := []struct {
		name, ref string
		err       []string
	}{
		{"seg id", "<doc docid=\"a\">\n<seg id=\"1\">one</seg>\n<seg id=\"3\">two</seg>\n", []string{"ref.sgm:3: segment 2 is doc \"a\" seg \"3\", but in", "src.sgm:3 it is doc \"a\" seg \"2\"", "not parallel"}},
		{"doc id", "<doc docid=\"a\">\n<seg id=\"1\">one</seg>\n<seg id=\"2\">two</seg>\n<doc docid=\"c\">\n<seg id=\"1\">three</seg>\n", []string{"ref.sgm:5: segment 3 is doc \"c\" seg \"1\"", "src.sgm:6 it is doc \"b\" seg \"1\""}},
		{"shorter ref", "<doc docid=\"a\">\n<seg id=\"1\">one</seg>\n<seg id=\"2\">two</seg>\n", []string{"src.sgm:6:", "has 3 segments and", "has 2; the first unmatched one is doc \"b\" seg \"1\""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParallelSGML(src, write("ref.sgm", tt.ref))
			wantErr(t, err, tt.err...)
		})
	}
	pairs, err := ParallelSGML(src, write("ok.sgm", "<doc docid=\"a\">\n<seg id=\"1\">one</seg>\n<seg id=\"2\">two</seg>\n<doc docid=\"b\">\n<seg id=\"1\">three</seg>\n"))
	if err != nil || len(pairs) != 3 || pairs[2].Source.Text != "trois" || pairs[2].Reference.Text != "three" {
		t.Errorf("got %+v, %v", pairs, err)
	}
}

// sacreSeg is the oracle: Go's regexp has Python's leftmost-first semantics
// for this pattern, and '.' excludes only '\n' in both.
var sacreSeg = regexp.MustCompile(`<seg.*?>(.*)</seg>.*?`)

// sacreClean is re.sub(r"\s+", " ", s.strip()) with Python's white space.
func sacreClean(s string) string {
	var class strings.Builder
	class.WriteString("[")
	for _, r := range pythonSpace {
		class.WriteString(regexp.QuoteMeta(string(r)))
	}
	class.WriteString("]")
	s = strings.TrimFunc(s, func(r rune) bool { return strings.ContainsRune(string(pythonSpace), r) })
	return regexp.MustCompile(class.String()+"+").ReplaceAllString(s, " ")
}

func FuzzSGML(f *testing.F) {
	f.Add([]byte("<doc docid=\"a\">\n<seg id=\"1\">x  y\u00a0</seg>\n<seg id=2>a</seg>b</seg> c\n"))
	f.Add([]byte("<seg >></seg>\r\n<seg id='3'></seg></seg>\n"))
	f.Add([]byte("<seg x>"))
	for _, s := range sharedtest.Corrupted(f, 4096, "data/wmt14/newstest2014-fren-src.fr.sgm", "data/wmt14/newstest2014-deen-ref.de.sgm") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		segs, err := sgmlSegments(bytes.NewReader(data), "f.sgm")
		// The oracle: sacreBLEU's steps, over lines split at "\n".
		var want []string
		for line := range strings.SplitSeq(string(data), "\n") {
			if !strings.HasPrefix(line, "<seg ") {
				continue
			}
			if !sacreSeg.MatchString(line) {
				want = nil // SGML rejects what sacreBLEU passes through
				break
			}
			want = append(want, sacreClean(sacreSeg.ReplaceAllString(line, "$1")))
		}
		if err != nil {
			var re *ReadError
			if !errors.As(err, &re) || !strings.HasPrefix(err.Error(), "f.sgm") {
				t.Fatalf("bad error %v", err)
			}
			if want != nil && utf8.Valid(data) {
				t.Fatalf("error %v, but sacreBLEU reads %q", err, want)
			}
			return
		}
		if len(segs) != len(want) {
			t.Fatalf("got %d segments, sacreBLEU %d", len(segs), len(want))
		}
		for i, s := range segs {
			if s.Text != want[i] {
				t.Fatalf("segment %d = %q, sacreBLEU %q", i, s.Text, want[i])
			}
		}
	})
}
