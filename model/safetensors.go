package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// FileError reports a problem with a checkpoint file: which file, which
// tensor or config field (when one is to blame), what is wrong and, when
// the fix is known, a hint. Every error returned by this package's
// checkpoint readers is, or wraps, a *FileError.
type FileError struct {
	File   string // path of the offending file
	Tensor string // tensor name as stored, "" when no tensor is to blame
	Field  string // config.json or index field, "" when no field is to blame
	Msg    string // what is wrong, lower-case
	Hint   string // how to fix it, "" when unknown
}

// Error formats the error as `file: tensor "name": msg (hint)`.
func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Tensor != "" {
		fmt.Fprintf(&b, ": tensor %q", e.Tensor)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": field %q", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Hint != "" {
		fmt.Fprintf(&b, " (%s)", e.Hint)
	}
	return b.String()
}

// maxHeaderLen is the largest JSON header accepted, in bytes; the reference
// implementation (huggingface/safetensors) uses the same limit.
const maxHeaderLen = 100_000_000

// maxElements bounds a tensor's element count so that byte sizes cannot
// overflow int64.
const maxElements = 1 << 50

// dtypeSizes maps every safetensors dtype name to its element size in bytes.
var dtypeSizes = map[string]int{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1,
	"I16": 2, "U16": 2, "F16": 2, "BF16": 2,
	"I32": 4, "U32": 4, "F32": 4,
	"I64": 8, "U64": 8, "F64": 8, "C64": 8,
}

// TensorInfo describes one tensor of a safetensors file.
type TensorInfo struct {
	Name  string
	DType string // safetensors dtype name: "F32", "F16", "BF16", …
	Shape []int  // dimensions, outermost first; empty for a scalar
	Begin int64  // offset of the first byte in the data section, bytes
	End   int64  // offset one past the last byte in the data section, bytes
}

// NumElements returns the product of the tensor's dimensions.
func (t TensorInfo) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// SafetensorsHeader is a parsed and validated safetensors header.
type SafetensorsHeader struct {
	Metadata map[string]string // "__metadata__", nil when absent
	Tensors  []TensorInfo      // sorted by Begin
}

type rawTensorInfo struct {
	DType       *string  `json:"dtype"`
	Shape       *[]int64 `json:"shape"`
	DataOffsets *[]int64 `json:"data_offsets"`
}

// ParseSafetensorsHeader parses the JSON header of a safetensors file (the
// bytes after the 8-byte length) and validates it against a data section
// of dataLen bytes: every tensor has a known dtype, a shape whose element
// count times the dtype size equals its byte span, offsets inside the data
// section, and the tensors tile the data section exactly, without overlap
// or gap, as the reference implementation requires. Errors name the tensor
// but not the file; OpenSafetensors adds the path.
func ParseSafetensorsHeader(header []byte, dataLen int64) (*SafetensorsHeader, error) {
	trimmed := bytes.TrimLeft(header, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, &FileError{Msg: "header is not a JSON object", Hint: "not a safetensors file?"}
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(header, &raw); err != nil {
		return nil, &FileError{Msg: "header is not valid JSON: " + err.Error(), Hint: "the file may be truncated or not a safetensors file"}
	}
	h := &SafetensorsHeader{}
	if m, ok := raw["__metadata__"]; ok {
		if err := json.Unmarshal(m, &h.Metadata); err != nil {
			return nil, &FileError{Field: "__metadata__", Msg: "must be an object of strings: " + err.Error()}
		}
		delete(raw, "__metadata__")
	}
	for name, msg := range raw {
		t, err := parseTensorInfo(name, msg)
		if err != nil {
			return nil, err
		}
		h.Tensors = append(h.Tensors, t)
	}
	sort.Slice(h.Tensors, func(i, j int) bool {
		a, b := h.Tensors[i], h.Tensors[j]
		if a.Begin != b.Begin {
			return a.Begin < b.Begin
		}
		if a.End != b.End {
			return a.End < b.End
		}
		return a.Name < b.Name
	})
	var prev *TensorInfo
	var end int64
	for i := range h.Tensors {
		t := &h.Tensors[i]
		if t.End > dataLen {
			return nil, &FileError{Tensor: t.Name, Msg: fmt.Sprintf("data_offsets [%d, %d] out of range: the data section has %d bytes", t.Begin, t.End, dataLen), Hint: "the file is truncated or its header is corrupt"}
		}
		switch {
		case t.Begin < end:
			return nil, &FileError{Tensor: t.Name, Msg: fmt.Sprintf("data_offsets [%d, %d] overlap tensor %q at [%d, %d]", t.Begin, t.End, prev.Name, prev.Begin, prev.End)}
		case t.Begin > end:
			return nil, &FileError{Tensor: t.Name, Msg: fmt.Sprintf("data_offsets [%d, %d] leave a gap of %d unused bytes before them", t.Begin, t.End, t.Begin-end)}
		}
		end, prev = t.End, t
	}
	if end != dataLen {
		return nil, &FileError{Msg: fmt.Sprintf("tensors cover %d bytes but the data section has %d", end, dataLen), Hint: "trailing bytes after the last tensor are not allowed"}
	}
	return h, nil
}

func parseTensorInfo(name string, msg json.RawMessage) (TensorInfo, error) {
	bad := func(format string, args ...any) (TensorInfo, error) {
		return TensorInfo{}, &FileError{Tensor: name, Msg: fmt.Sprintf(format, args...)}
	}
	var r rawTensorInfo
	if err := json.Unmarshal(msg, &r); err != nil {
		return bad("bad header entry: %v", err)
	}
	if r.DType == nil || r.Shape == nil || r.DataOffsets == nil {
		return bad("header entry needs dtype, shape and data_offsets")
	}
	size, ok := dtypeSizes[*r.DType]
	if !ok {
		return bad("unknown dtype %q (safetensors dtypes: %s)", *r.DType, strings.Join(sortedKeys(dtypeSizes), ", "))
	}
	if len(*r.DataOffsets) != 2 {
		return bad("data_offsets has %d entries, want 2", len(*r.DataOffsets))
	}
	begin, end := (*r.DataOffsets)[0], (*r.DataOffsets)[1]
	if begin < 0 || end < begin {
		return bad("data_offsets [%d, %d] are not an increasing pair of offsets", begin, end)
	}
	shape := make([]int, len(*r.Shape))
	n := int64(1)
	for i, d := range *r.Shape {
		if d < 0 {
			return bad("shape %v has a negative dimension", *r.Shape)
		}
		if d != 0 && n > maxElements/d {
			return bad("shape %v is too large", *r.Shape)
		}
		n *= d
		shape[i] = int(d)
	}
	if n*int64(size) != end-begin {
		return bad("shape %v of dtype %s needs %d bytes but data_offsets [%d, %d] span %d", *r.Shape, *r.DType, n*int64(size), begin, end, end-begin)
	}
	return TensorInfo{Name: name, DType: *r.DType, Shape: shape, Begin: begin, End: end}, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// SafetensorsFile is an open safetensors file, memory-mapped read-only.
// Close releases the mapping; it must not be used afterwards.
type SafetensorsFile struct {
	Path   string
	Header SafetensorsHeader
	// HeaderBytes is a copy of the file's first 8+N bytes: the length
	// prefix and the JSON header.
	HeaderBytes []byte

	byName  map[string]int // index into Header.Tensors
	mapped  []byte         // the whole file
	data    []byte         // mapped[8+N:]
	mmapped bool           // mapped came from unix.Mmap
}

// OpenSafetensors memory-maps the safetensors file at path and validates
// its header (see ParseSafetensorsHeader). Errors name the file.
func OpenSafetensors(path string) (*SafetensorsFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &FileError{File: path, Msg: "cannot open: " + unwrapPathError(err)}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &FileError{File: path, Msg: "cannot stat: " + unwrapPathError(err)}
	}
	size := st.Size()
	if size < 8 {
		return nil, &FileError{File: path, Msg: fmt.Sprintf("file is %d bytes, too short for the 8-byte header length", size), Hint: "the file is truncated"}
	}
	if int64(int(size)) != size {
		return nil, &FileError{File: path, Msg: fmt.Sprintf("file is %d bytes, too large to map", size)}
	}
	mapped, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, &FileError{File: path, Msg: "cannot memory-map: " + err.Error()}
	}
	sf, err := newSafetensorsFile(path, mapped)
	if err != nil {
		unix.Munmap(mapped)
		return nil, err
	}
	sf.mmapped = true
	return sf, nil
}

// checkHeaderLen checks the header length n read from the first 8 bytes of
// the size-byte safetensors file at path.
func checkHeaderLen(path string, n uint64, size int64) error {
	if n > uint64(size-8) {
		return &FileError{File: path, Msg: fmt.Sprintf("header length %d runs past the end of the %d-byte file", n, size), Hint: "the file is truncated or not a safetensors file"}
	}
	if n > maxHeaderLen {
		return &FileError{File: path, Msg: fmt.Sprintf("header length %d exceeds the %d-byte limit", n, maxHeaderLen)}
	}
	return nil
}

// newSafetensorsFile parses the safetensors file held in mapped, which
// must be at least 8 bytes long.
func newSafetensorsFile(path string, mapped []byte) (*SafetensorsFile, error) {
	size := uint64(len(mapped))
	n := binary.LittleEndian.Uint64(mapped[:8])
	if err := checkHeaderLen(path, n, int64(size)); err != nil {
		return nil, err
	}
	h, err := ParseSafetensorsHeader(mapped[8:8+n], int64(size-8-n))
	if err != nil {
		if fe, ok := err.(*FileError); ok {
			fe.File = path
		}
		return nil, err
	}
	sf := &SafetensorsFile{
		Path:        path,
		Header:      *h,
		HeaderBytes: bytes.Clone(mapped[:8+n]),
		byName:      make(map[string]int, len(h.Tensors)),
		mapped:      mapped,
		data:        mapped[8+n:],
	}
	for i, t := range h.Tensors {
		sf.byName[t.Name] = i
	}
	return sf, nil
}

// Tensor returns the description of the named tensor.
func (f *SafetensorsFile) Tensor(name string) (TensorInfo, bool) {
	i, ok := f.byName[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.Header.Tensors[i], true
}

// ReadFloat32 decodes the named F32, F16 or BF16 tensor into dst, which
// must hold exactly its element count, in row-major order. F16 and BF16
// are widened exactly (subnormals, infinities and NaNs included). The
// tensor's pages are then dropped from the process's resident set (they
// stay in the page cache), so reading a checkpoint tensor by tensor does
// not make the whole file resident.
func (f *SafetensorsFile) ReadFloat32(dst []float32, name string) error {
	t, ok := f.Tensor(name)
	if !ok {
		return &FileError{File: f.Path, Tensor: name, Msg: "no such tensor"}
	}
	if f.mapped == nil {
		return &FileError{File: f.Path, Tensor: name, Msg: "read after Close"}
	}
	if len(dst) != t.NumElements() {
		panic(fmt.Sprintf("model: ReadFloat32(%q): len(dst)=%d, tensor has %d elements", name, len(dst), t.NumElements()))
	}
	src := f.data[t.Begin:t.End]
	switch t.DType {
	case "F32":
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	case "F16":
		for i := range dst {
			dst[i] = F16ToFloat32(binary.LittleEndian.Uint16(src[2*i:]))
		}
	case "BF16":
		for i := range dst {
			dst[i] = BF16ToFloat32(binary.LittleEndian.Uint16(src[2*i:]))
		}
	default:
		return &FileError{File: f.Path, Tensor: name, Msg: fmt.Sprintf("dtype %s cannot be read as float32", t.DType), Hint: "kshot reads F32, F16 and BF16 weights"}
	}
	f.dropPages(t.Begin, t.End)
	return nil
}

// ReadBits16 copies the bits of the named F16 or BF16 tensor into dst,
// which must hold exactly its element count, in row-major order, without
// widening them (see kernels.PackKN16), and drops its pages from the
// resident set as ReadFloat32 does.
func (f *SafetensorsFile) ReadBits16(dst []uint16, name string) error {
	t, ok := f.Tensor(name)
	if !ok {
		return &FileError{File: f.Path, Tensor: name, Msg: "no such tensor"}
	}
	if f.mapped == nil {
		return &FileError{File: f.Path, Tensor: name, Msg: "read after Close"}
	}
	if len(dst) != t.NumElements() {
		panic(fmt.Sprintf("model: ReadBits16(%q): len(dst)=%d, tensor has %d elements", name, len(dst), t.NumElements()))
	}
	if t.DType != "F16" && t.DType != "BF16" {
		return &FileError{File: f.Path, Tensor: name, Msg: fmt.Sprintf("dtype %s is not a 16-bit float", t.DType)}
	}
	src := f.data[t.Begin:t.End]
	for i := range dst {
		dst[i] = binary.LittleEndian.Uint16(src[2*i:])
	}
	f.dropPages(t.Begin, t.End)
	return nil
}

// dropPages advises the kernel that the data bytes [begin, end) are no
// longer needed by this process. Failure is harmless and ignored.
func (f *SafetensorsFile) dropPages(begin, end int64) {
	if end <= begin || !f.mmapped {
		return
	}
	page := int64(os.Getpagesize())
	off := int64(len(f.mapped) - len(f.data))
	lo := (off + begin) / page * page
	hi := min(int64(len(f.mapped)), (off+end+page-1)/page*page)
	_ = unix.Madvise(f.mapped[lo:hi], unix.MADV_DONTNEED)
}

// Close unmaps the file.
func (f *SafetensorsFile) Close() error {
	if f.mapped == nil {
		return nil
	}
	var err error
	if f.mmapped {
		err = unix.Munmap(f.mapped)
	}
	f.mapped, f.data = nil, nil
	if err != nil {
		return &FileError{File: f.Path, Msg: "cannot unmap: " + err.Error()}
	}
	return nil
}

// F16ToFloat32 converts an IEEE 754 binary16 value, given by its bits, to
// float32 exactly.
func F16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch exp {
	case 0x1f: // infinity or NaN (payload kept)
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		// Subnormal: m·2^-24; normalise so the leading 1 is implicit.
		e := uint32(127 - 14)
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		return math.Float32frombits(sign | e<<23 | (mant&0x3ff)<<13)
	default:
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	}
}

// BF16ToFloat32 converts a bfloat16 value, given by its bits, to float32
// exactly.
func BF16ToFloat32(h uint16) float32 {
	return math.Float32frombits(uint32(h) << 16)
}

func unwrapPathError(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}
