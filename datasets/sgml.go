package datasets

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Segment is one <seg> of a WMT SGML file (newstest2014-fren-src.fr.sgm
// and the like).
type Segment struct {
	DocID string // docid attribute of the last <doc line before the segment; "" if none
	SegID string // id attribute of the <seg> tag; "" if it has none
	Text  string // the segment's text, cleaned as sacreBLEU does (see SGML)
	Line  int    // 1-based line of the segment in the file
}

// SGML reads the segments of a WMT SGML file (the "fake SGML" of the WMT
// test sets before 2021), gzip- or bzip2-compressed when path ends in .gz
// or .bz2, in file order.
//
// It extracts the text the way sacreBLEU does for .sgm files (dataset
// FakeSGMLDataset._convert_format, and process_to_text in sacreBLEU 1.x):
// the file is split at "\n" only; a line is a segment when it starts with
// "<seg " (no indented tags); the segment is rewritten with the Python
// pattern `<seg.*?>(.*)</seg>.*?` → `\1`, i.e. the text runs from the first
// '>' to the last "</seg>" on the line, and any text after that "</seg>"
// is kept; then leading and trailing white space is removed and every run
// of white space inside becomes one ' ', with Python's notion of white
// space (str.isspace: Unicode White_Space plus U+001C–U+001F), so the
// no-break spaces of the French files become plain spaces. Entities such as
// "&amp;" are left as they are, as sacreBLEU leaves them (the newstest2014
// files write a bare "&").
//
// DocID comes from the docid="…" attribute of the last line starting with
// "<doc ". SegID comes from the id attribute of the <seg> tag.
//
// Where sacreBLEU would pass a line through unchanged, SGML returns a
// *ReadError instead: a "<seg " line without "</seg>" after its tag, and
// invalid UTF-8. A file without any segment is an error too.
func SGML(path string) ([]Segment, error) {
	rc, err := openText(path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return sgmlSegments(rc, path)
}

// sgmlSegments reads the segments of r.
func sgmlSegments(r io.Reader, source string) ([]Segment, error) {
	lr := newLineReader(r)
	var segs []Segment
	docID := ""
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, streamErr(source, lr.num+1, err)
		}
		if !utf8.Valid(line) {
			return nil, invalidUTF8(source, lr.num, line)
		}
		switch {
		case bytes.HasPrefix(line, []byte("<doc ")):
			docID = attr(line, `docid="`)
		case bytes.HasPrefix(line, []byte("<seg ")):
			text, ok := segText(line)
			if !ok {
				return nil, readErr(source, lr.num, "each segment must be on one line as <seg id=\"N\">text</seg>",
					"segment without a closing </seg> after its tag")
			}
			segs = append(segs, Segment{DocID: docID, SegID: segID(line), Text: clean(text), Line: lr.num})
		}
	}
	if len(segs) == 0 {
		return nil, &ReadError{Source: source, Err: errors.New("no segments: no line starts with \"<seg \""),
			Hint: "is this a WMT .sgm file? for plain text use Lines"}
	}
	return segs, nil
}

// segText applies sacreBLEU's `<seg.*?>(.*)</seg>.*?` → `\1` to line,
// which starts with "<seg ". It reports false when the pattern does not
// match.
func segText(line []byte) (string, bool) {
	const open, close = len("<seg"), "</seg>"
	p := bytes.IndexByte(line[open:], '>')
	if p < 0 {
		return "", false
	}
	p += open
	q := bytes.LastIndex(line, []byte(close))
	if q <= p {
		return "", false
	}
	return string(line[p+1:q]) + string(line[q+len(close):]), true
}

// attr returns the text between prefix (`docid="`) and the next '"' in
// line, as Python's re.search(r'docid="(.*?)"') does, or "".
func attr(line []byte, prefix string) string {
	i := bytes.Index(line, []byte(prefix))
	if i < 0 {
		return ""
	}
	rest := line[i+len(prefix):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

// segID returns the id attribute of the <seg ...> tag that starts line:
// id="N", id='N' or id=N.
func segID(line []byte) string {
	tag := line
	if p := bytes.IndexByte(line[len("<seg"):], '>'); p >= 0 {
		tag = line[:p+len("<seg")]
	}
	s := string(tag)
	for i := 0; ; {
		j := strings.Index(s[i:], "id=")
		if j < 0 {
			return ""
		}
		j += i
		if c := s[j-1]; c != ' ' && c != '\t' {
			i = j + 3 // part of another attribute name, like docid=
			continue
		}
		v := s[j+3:]
		if v != "" && (v[0] == '"' || v[0] == '\'') {
			if k := strings.IndexByte(v[1:], v[0]); k >= 0 {
				return v[1 : k+1]
			}
			return v[1:]
		}
		if k := strings.IndexAny(v, " \t"); k >= 0 {
			return v[:k]
		}
		return v
	}
}

// pySpace reports whether Python's str.isspace, and so re's \s, holds for
// r: Unicode White_Space plus the separators U+001C to U+001F.
func pySpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
}

// clean is sacreBLEU's _clean: re.sub(r"\s+", " ", s.strip()).
func clean(s string) string {
	s = strings.TrimFunc(s, pySpace)
	var b strings.Builder
	b.Grow(len(s))
	inSpace := false
	for _, r := range s {
		if pySpace(r) {
			inSpace = true
			continue
		}
		if inSpace {
			b.WriteByte(' ')
			inSpace = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Pair is a source segment and its reference translation.
type Pair struct {
	Source    Segment
	Reference Segment
}

// ParallelSGML reads a WMT source file and its reference file with SGML and
// pairs their segments in file order, as sacreBLEU does. Every pair must
// have the same DocID and SegID; the first pair that does not, or a
// segment count that differs, gives a *ReadError naming both files and
// lines.
func ParallelSGML(srcPath, refPath string) ([]Pair, error) {
	src, err := SGML(srcPath)
	if err != nil {
		return nil, err
	}
	ref, err := SGML(refPath)
	if err != nil {
		return nil, err
	}
	const hint = "the files are not parallel; check that both come from the same test set and language pair"
	n := min(len(src), len(ref))
	pairs := make([]Pair, n)
	for i := range n {
		s, r := src[i], ref[i]
		if s.DocID != r.DocID || s.SegID != r.SegID {
			return nil, readErr(refPath, r.Line, hint,
				"segment %d is doc %q seg %q, but in %s:%d it is doc %q seg %q",
				i+1, r.DocID, r.SegID, srcPath, s.Line, s.DocID, s.SegID)
		}
		pairs[i] = Pair{Source: s, Reference: r}
	}
	if len(src) != len(ref) {
		longer, extra := srcPath, src
		if len(ref) > len(src) {
			longer, extra = refPath, ref
		}
		e := extra[n]
		return nil, readErr(longer, e.Line, hint,
			"%s has %d segments and %s has %d; the first unmatched one is doc %q seg %q",
			srcPath, len(src), refPath, len(ref), e.DocID, e.SegID)
	}
	return pairs, nil
}
