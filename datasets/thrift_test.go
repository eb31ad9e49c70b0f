package datasets

import (
	"bytes"
	"errors"
	"testing"
)

// The byte strings follow the Thrift compact protocol by hand: a field
// header is (id delta << 4 | type), integers are zigzag varints, and a
// list header is (size << 4 | element type), with size 15 meaning that a
// varint size follows.
func TestCheckThrift(t *testing.T) {
	deep := bytes.Repeat([]byte{0x1c}, 100) // struct field 1, nested 100 times
	tests := []struct {
		name string
		b    []byte
		err  string // "" means valid
	}{
		{"i32 field", []byte{0x15, 0x02, 0x00}, ""},
		{"list of 2 i32", []byte{0x19, 0x25, 0x02, 0x04, 0x00}, ""},
		{"bool fields and list", []byte{0x11, 0x12, 0x19, 0x21, 0x01, 0x02, 0x00}, ""},
		{"map", []byte{0x1b, 0x01, 0x85, 0x01, 'k', 0x02, 0x00}, ""},
		{"long field id", []byte{0x05, 0x80, 0x01, 0x02, 0x00}, ""},
		{"huge list", []byte{0x19, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x07}, "it claims a list length of 2147483647, but only 0 bytes remain"},
		{"long string", []byte{0x18, 0x64, 'a', 'b', 'c'}, "a string length of 100, but only 3 bytes remain"},
		{"huge map", []byte{0x1b, 0xff, 0xff, 0xff, 0xff, 0x07, 0x55}, "a map size of 4294967294"},
		{"no stop", []byte{0x15, 0x02}, "the metadata ends early"},
		{"deep", deep, "nests too deeply"},
		{"bad type", []byte{0x1e, 0x00}, "unknown type code 14"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkThrift(tt.b)
			if tt.err == "" {
				mustNil(t, err)
				return
			}
			wantErr(t, err, tt.err)
		})
	}
}

func TestPageHeader(t *testing.T) {
	// type=0 (i32 0), uncompressed=1000 (zigzag 2000), compressed=10
	// (zigzag 20), crc=7 (zigzag 14), a nested DataPageHeader struct
	// (field 5, i32 num_values=3), stop.
	b := []byte{0x15, 0x00, 0x15, 0xd0, 0x0f, 0x15, 0x14, 0x15, 0x0e, 0x1c, 0x15, 0x06, 0x00, 0x00, 0xaa, 0xbb}
	n, unc, comp, err := pageHeader(b)
	mustNil(t, err)
	if n != 14 || unc != 1000 || comp != 10 {
		t.Errorf("got length %d, sizes %d/%d; want 14, 1000/10", n, unc, comp)
	}
	_, _, _, err = pageHeader(b[:6])
	if !errors.Is(err, errThriftShort) {
		t.Errorf("a cut header gave %v, want errThriftShort", err)
	}
	_, _, _, err = pageHeader([]byte{0x15, 0x00, 0x00})
	wantErr(t, err, "lacks its sizes")
}
