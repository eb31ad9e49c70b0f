package model

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// ckptTensor is one tensor for ckptBuild: raw little-endian bytes.
type ckptTensor struct {
	name  string
	dtype string
	shape []int
	data  []byte
}

// ckptBuild serializes tensors in order, the way the reference
// writer does: 8-byte length, JSON header padded with spaces to a multiple
// of 8, then the tensors' bytes back to back. patch, when given, may edit
// the header before it is written.
func ckptBuild(tb testing.TB, tensors []ckptTensor, meta map[string]string, patch ...func(hdr map[string]any)) []byte {
	tb.Helper()
	hdr := map[string]any{}
	if meta != nil {
		hdr["__metadata__"] = meta
	}
	var data []byte
	for _, t := range tensors {
		shape := t.shape
		if shape == nil {
			shape = []int{}
		}
		hdr[t.name] = map[string]any{"dtype": t.dtype, "shape": shape, "data_offsets": []int{len(data), len(data) + len(t.data)}}
		data = append(data, t.data...)
	}
	for _, p := range patch {
		p(hdr)
	}
	js, err := json.Marshal(hdr)
	if err != nil {
		tb.Fatal(err)
	}
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
	out = append(out, js...)
	return append(out, data...)
}

// rawFile assembles a safetensors file from a literal header and data.
func ckptRawFile(header string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(out, header...), data...)
}

func ckptF32Bytes(v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func ckptU16Bytes(v ...uint16) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint16(b, x)
	}
	return b
}

func ckptWriteFile(tb testing.TB, path string, data []byte) string {
	tb.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

func TestF16ToFloat32(t *testing.T) {
	// Bit patterns and values from the IEEE 754 binary16 definition.
	cases := []struct {
		bits uint16
		want float64
	}{
		{0x3C00, 1}, {0xC000, -2}, {0x7BFF, 65504}, {0x0001, math.Ldexp(1, -24)},
		{0x03FF, 1023 * math.Ldexp(1, -24)}, {0x0400, math.Ldexp(1, -14)}, {0x3800, 0.5},
		{0x3555, 0.333251953125}, {0x0000, 0}, {0x7C00, math.Inf(1)}, {0xFC00, math.Inf(-1)},
		{0x8001, -math.Ldexp(1, -24)},
	}
	for _, c := range cases {
		if got := F16ToFloat32(c.bits); float64(got) != c.want {
			t.Errorf("F16ToFloat32(%#04x) = %g, want %g", c.bits, got, c.want)
		}
	}
	if got := F16ToFloat32(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("F16ToFloat32(0x8000) = %g, want -0", got)
	}
	for _, bits := range []uint16{0x7E00, 0x7C01, 0xFFFF} {
		if got := F16ToFloat32(bits); !math.IsNaN(float64(got)) {
			t.Errorf("F16ToFloat32(%#04x) = %g, want NaN", bits, got)
		}
	}
}

// TestF16ToFloat32Exhaustive compares every bit pattern with the textbook
// formula (-1)^s · 2^(e-15) · (1 + m/1024), subnormals 2^-14 · m/1024.
func TestF16ToFloat32Exhaustive(t *testing.T) {
	for b := range 1 << 16 {
		s, e, m := b>>15, (b>>10)&0x1f, b&0x3ff
		var want float64
		switch {
		case e == 0x1f && m != 0:
			want = math.NaN()
		case e == 0x1f:
			want = math.Inf(1)
		case e == 0:
			want = math.Ldexp(float64(m)/1024, -14)
		default:
			want = math.Ldexp(1+float64(m)/1024, e-15)
		}
		if s == 1 {
			want = -want
		}
		got := float64(F16ToFloat32(uint16(b)))
		if math.IsNaN(want) != math.IsNaN(got) || (!math.IsNaN(want) && got != want) || math.Signbit(got) != (s == 1) && !math.IsNaN(want) {
			t.Fatalf("F16ToFloat32(%#04x) = %g, want %g", b, got, want)
		}
	}
}

func TestBF16ToFloat32(t *testing.T) {
	cases := []struct {
		bits uint16
		want float64
	}{
		{0x3F80, 1}, {0xC000, -2}, {0x4049, 3.140625}, {0x7F80, math.Inf(1)}, {0xFF80, math.Inf(-1)},
		{0x0001, math.Ldexp(1, -133)}, {0x0080, math.Ldexp(1, -126)}, {0x7F7F, math.Ldexp(255, 120)},
	}
	for _, c := range cases {
		if got := BF16ToFloat32(c.bits); float64(got) != c.want {
			t.Errorf("BF16ToFloat32(%#04x) = %g, want %g", c.bits, got, c.want)
		}
	}
	if got := BF16ToFloat32(0x7FC0); !math.IsNaN(float64(got)) {
		t.Errorf("BF16ToFloat32(0x7fc0) = %g, want NaN", got)
	}
}

func TestParseSafetensorsHeader(t *testing.T) {
	bad := []struct {
		name, header string
		dataLen      int64
		want         []string
	}{
		{"not json", `{"a": `, 0, []string{"not valid JSON"}},
		{"not an object", `[1, 2]`, 0, []string{"not a JSON object"}},
		{"entry not an object", `{"w": 5}`, 0, []string{`"w"`, "bad header entry"}},
		{"missing field", `{"w": {"dtype": "F32", "shape": [1]}}`, 4, []string{`"w"`, "data_offsets"}},
		{"unknown dtype", `{"w": {"dtype": "F12", "shape": [1], "data_offsets": [0, 4]}}`, 4, []string{`"w"`, `unknown dtype "F12"`}},
		{"shape vs span", `{"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 20]}}`, 20, []string{`"w"`, "needs 24 bytes", "span 20"}},
		{"f16 size", `{"w": {"dtype": "F16", "shape": [4], "data_offsets": [0, 16]}}`, 16, []string{"needs 8 bytes"}},
		{"out of range", `{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}`, 12, []string{`"w"`, "out of range", "12 bytes"}},
		{"overlap", `{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}`, 12, []string{`"b"`, `overlap tensor "a"`}},
		{"duplicate offsets", `{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}`, 8, []string{"overlap"}},
		{"gap", `{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}`, 8, []string{`"a"`, "gap of 4"}},
		{"trailing bytes", `{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}`, 8, []string{"cover 4 bytes", "has 8"}},
		{"reversed offsets", `{"a": {"dtype": "F32", "shape": [0], "data_offsets": [4, 0]}}`, 4, []string{"increasing"}},
		{"three offsets", `{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}}`, 4, []string{"3 entries"}},
		{"negative dim", `{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}`, 4, []string{"negative"}},
		{"huge shape", `{"a": {"dtype": "F64", "shape": [4294967296, 4294967296], "data_offsets": [0, 4]}}`, 4, []string{"too large"}},
		{"bad metadata", `{"__metadata__": {"format": 1}}`, 0, []string{"__metadata__", "object of strings"}},
		{"fractional dim", `{"a": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}`, 4, []string{`"a"`, "bad header entry"}},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseSafetensorsHeader([]byte(c.header), c.dataLen)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}

	t.Run("valid", func(t *testing.T) {
		hdr := `{"__metadata__": {"format": "pt"}, "b": {"dtype": "BF16", "shape": [3], "data_offsets": [4, 10]},
			"z": {"dtype": "F32", "shape": [0, 5], "data_offsets": [10, 10]}, "a": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}}   `
		h, err := ParseSafetensorsHeader([]byte(hdr), 10)
		if err != nil {
			t.Fatal(err)
		}
		if h.Metadata["format"] != "pt" {
			t.Errorf("metadata = %v", h.Metadata)
		}
		var names []string
		for _, ti := range h.Tensors {
			names = append(names, ti.Name)
		}
		if !slices.Equal(names, []string{"a", "b", "z"}) {
			t.Errorf("tensor order %v, want sorted by offset [a b z]", names)
		}
		if n := h.Tensors[0].NumElements(); n != 1 {
			t.Errorf("scalar has %d elements, want 1", n)
		}
		if n := h.Tensors[2].NumElements(); n != 0 {
			t.Errorf("[0 5] has %d elements, want 0", n)
		}
	})
}

func TestOpenSafetensors(t *testing.T) {
	dir := t.TempDir()
	// Values chosen so that each dtype's bits are known by hand.
	file := ckptBuild(t, []ckptTensor{
		{"f32", "F32", []int{2, 2}, ckptF32Bytes(1, -2.5, 0.1, float32(math.Inf(1)))},
		{"f16", "F16", []int{3}, ckptU16Bytes(0x3C00, 0xC000, 0x0001)},
		{"bf16", "BF16", []int{1, 2}, ckptU16Bytes(0x3F80, 0x4049)},
		{"ids", "I64", []int{1}, make([]byte, 8)},
	}, map[string]string{"format": "pt"})
	path := ckptWriteFile(t, filepath.Join(dir, "ok.safetensors"), file)
	f, err := OpenSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]float32{
		"f32":  {1, -2.5, 0.1, float32(math.Inf(1))},
		"f16":  {1, -2, float32(math.Ldexp(1, -24))},
		"bf16": {1, 3.140625},
	}
	for name, w := range want {
		got := make([]float32, len(w))
		if err := f.ReadFloat32(got, name); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, w) {
			t.Errorf("%s = %v, want %v", name, got, w)
		}
	}
	if err := f.ReadFloat32(make([]float32, 1), "ids"); err == nil || !strings.Contains(err.Error(), "dtype I64") {
		t.Errorf("reading I64 as float32: err = %v", err)
	}
	if err := f.ReadFloat32(nil, "nope"); err == nil || !strings.Contains(err.Error(), "no such tensor") {
		t.Errorf("reading a missing tensor: err = %v", err)
	}
	if !slices.Equal(f.HeaderBytes, file[:len(f.HeaderBytes)]) || len(f.HeaderBytes)%8 != 0 {
		t.Errorf("HeaderBytes is not the file's prefix")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.ReadFloat32(make([]float32, 3), "f16"); err == nil {
		t.Error("read after Close succeeded")
	}
}

func TestOpenSafetensorsErrors(t *testing.T) {
	good := ckptBuild(t, []ckptTensor{{"w", "F32", []int{4}, ckptF32Bytes(1, 2, 3, 4)}}, nil)
	hugeLen := binary.LittleEndian.AppendUint64(nil, 1<<40)
	cases := []struct {
		name string
		data []byte
		want []string
	}{
		{"empty", nil, []string{"0 bytes", "too short"}},
		{"short", []byte{1, 2, 3}, []string{"3 bytes"}},
		{"header length past end", append(hugeLen, `{}`...), []string{"header length 1099511627776", "past the end"}},
		{"truncated", good[:len(good)-3], []string{`"w"`, "out of range", "truncated"}},
		{"header cut", good[:12], []string{"past the end"}},
		{"not json", ckptRawFile(`hello!!!`, nil), []string{"not a JSON object"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := ckptWriteFile(t, filepath.Join(t.TempDir(), "m.safetensors"), c.data)
			_, err := OpenSafetensors(path)
			if err == nil {
				t.Fatal("no error")
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.File != path {
				t.Errorf("error %q does not name the file", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if _, err := OpenSafetensors(filepath.Join(t.TempDir(), "absent.safetensors")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("absent file: err = %v", err)
	}
}

// ckptFixtureHeaders returns the JSON header and data length of every
// fixture checkpoint, read without the package's own parser.
func ckptFixtureHeaders(tb testing.TB) (headers [][]byte, dataLens []int64) {
	root := sharedtest.Path(tb, "fixtures/models")
	paths, _ := filepath.Glob(filepath.Join(root, "*", "model.safetensors"))
	paths = append(paths, filepath.Join(sharedtest.Path(tb, "data/tiny_gpt2_loractl"), "model.safetensors"))
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		n := binary.LittleEndian.Uint64(raw)
		headers = append(headers, raw[8:8+n])
		dataLens = append(dataLens, int64(len(raw))-8-int64(n))
	}
	return headers, dataLens
}

func TestParseFixtureHeaders(t *testing.T) {
	headers, lens := ckptFixtureHeaders(t)
	for i, h := range headers {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(h, &raw); err != nil {
			t.Fatal(err)
		}
		delete(raw, "__metadata__")
		got, err := ParseSafetensorsHeader(h, lens[i])
		if err != nil {
			t.Fatalf("fixture %d: %v", i, err)
		}
		if len(got.Tensors) != len(raw) {
			t.Errorf("fixture %d: %d tensors, want %d", i, len(got.Tensors), len(raw))
		}
	}
}

func FuzzSafetensorsHeader(f *testing.F) {
	headers, lens := ckptFixtureHeaders(f)
	for i, h := range headers {
		f.Add(h, lens[i])
	}
	f.Add([]byte(`{"__metadata__": {"a": "b"}, "w": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}`), int64(4))
	f.Add([]byte(`{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}`), int64(12))
	f.Add([]byte(`{}`), int64(0))
	f.Fuzz(func(t *testing.T, header []byte, dataLen int64) {
		if dataLen < 0 {
			dataLen = -dataLen
		}
		h, err := ParseSafetensorsHeader(header, dataLen)
		if err != nil {
			if h != nil {
				t.Fatal("header returned with an error")
			}
			return
		}
		var end int64
		for _, ti := range h.Tensors {
			if ti.Begin != end || ti.End < ti.Begin || ti.End > dataLen {
				t.Fatalf("tensor %q at [%d, %d] after end %d of %d", ti.Name, ti.Begin, ti.End, end, dataLen)
			}
			if int64(ti.NumElements())*int64(dtypeSizes[ti.DType]) != ti.End-ti.Begin {
				t.Fatalf("tensor %q: %d elements of %s in %d bytes", ti.Name, ti.NumElements(), ti.DType, ti.End-ti.Begin)
			}
			end = ti.End
		}
		if end != dataLen {
			t.Fatalf("tensors end at %d, data has %d bytes", end, dataLen)
		}
		// A file built from an accepted header decodes without panicking.
		if dataLen <= 1<<16 {
			raw := ckptRawFile(string(header), make([]byte, dataLen))
			sf, err := newSafetensorsFile("fuzz", raw)
			if err != nil {
				t.Fatalf("accepted header rejected in a file: %v", err)
			}
			for _, ti := range h.Tensors {
				switch ti.DType {
				case "F32", "F16", "BF16":
					if err := sf.ReadFloat32(make([]float32, ti.NumElements()), ti.Name); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	})
}
