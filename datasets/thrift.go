package datasets

import (
	"errors"
	"fmt"
)

// checkThrift walks the Thrift compact-protocol struct that fills b (a
// Parquet footer) without decoding it, and returns an error when a length
// or element count claims more bytes than remain. parquet-go trusts those
// counts and would allocate whatever a damaged footer asks for, so the file
// is checked here first. Every list element takes at least one byte, so a
// count that passes is bounded by len(b).
func checkThrift(b []byte) error {
	w := thriftWalker{b: b}
	if err := w.skipStruct(0); err != nil {
		return err
	}
	return nil
}

// Compact-protocol type codes.
const (
	thriftTrue   = 1
	thriftFalse  = 2
	thriftByte   = 3
	thriftI16    = 4
	thriftI32    = 5
	thriftI64    = 6
	thriftDouble = 7
	thriftBinary = 8
	thriftList   = 9
	thriftSet    = 10
	thriftMap    = 11
	thriftStruct = 12
	thriftUUID   = 13

	thriftMaxDepth = 64
)

var errThriftShort = errors.New("the metadata ends early")

type thriftWalker struct {
	b   []byte
	off int
}

func (w *thriftWalker) byte1() (byte, error) {
	if w.off >= len(w.b) {
		return 0, errThriftShort
	}
	c := w.b[w.off]
	w.off++
	return c, nil
}

func (w *thriftWalker) uvarint() (uint64, error) {
	var x uint64
	for shift := uint(0); shift < 64; shift += 7 {
		c, err := w.byte1()
		if err != nil {
			return 0, err
		}
		x |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return x, nil
		}
	}
	return 0, errors.New("a varint in the metadata is too long")
}

// need checks that n more bytes remain.
func (w *thriftWalker) need(n uint64, what string) error {
	if rest := uint64(len(w.b) - w.off); n > rest {
		return fmt.Errorf("%w: it claims a %s of %d, but only %d bytes remain", errThriftShort, what, n, rest)
	}
	return nil
}

func (w *thriftWalker) skipStruct(depth int) error {
	if depth > thriftMaxDepth {
		return errors.New("the metadata nests too deeply")
	}
	for {
		h, err := w.byte1()
		if err != nil {
			return err
		}
		if h == 0 { // STOP
			return nil
		}
		if h>>4 == 0 { // long form: the field id follows as a varint
			if _, err := w.uvarint(); err != nil {
				return err
			}
		}
		if err := w.skipValue(h&0x0f, depth); err != nil {
			return err
		}
	}
}

// skipValue skips one value of type t; in a struct field, booleans are
// held in the type code and take no bytes.
func (w *thriftWalker) skipValue(t byte, depth int) error {
	switch t {
	case thriftTrue, thriftFalse:
		return nil
	case thriftByte:
		_, err := w.byte1()
		return err
	case thriftI16, thriftI32, thriftI64:
		_, err := w.uvarint()
		return err
	case thriftDouble, thriftUUID:
		n := uint64(8)
		if t == thriftUUID {
			n = 16
		}
		if err := w.need(n, "value"); err != nil {
			return err
		}
		w.off += int(n)
		return nil
	case thriftBinary:
		n, err := w.uvarint()
		if err != nil {
			return err
		}
		if err := w.need(n, "string length"); err != nil {
			return err
		}
		w.off += int(n)
		return nil
	case thriftList, thriftSet:
		h, err := w.byte1()
		if err != nil {
			return err
		}
		n := uint64(h >> 4)
		if n == 15 {
			if n, err = w.uvarint(); err != nil {
				return err
			}
		}
		if err := w.need(n, "list length"); err != nil {
			return err
		}
		elem := h & 0x0f
		for range n {
			if elem == thriftTrue || elem == thriftFalse { // list booleans take a byte each
				if _, err := w.byte1(); err != nil {
					return err
				}
				continue
			}
			if err := w.skipValue(elem, depth+1); err != nil {
				return err
			}
		}
		return nil
	case thriftMap:
		n, err := w.uvarint()
		if err != nil || n == 0 {
			return err
		}
		if err := w.need(2*n, "map size"); err != nil {
			return err
		}
		kv, err := w.byte1()
		if err != nil {
			return err
		}
		for range n {
			for _, t := range []byte{kv >> 4, kv & 0x0f} {
				if t == thriftTrue || t == thriftFalse {
					if _, err := w.byte1(); err != nil {
						return err
					}
				} else if err := w.skipValue(t, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	case thriftStruct:
		return w.skipStruct(depth + 1)
	}
	return fmt.Errorf("unknown type code %d in the metadata", t)
}

// pageHeader reads the Thrift PageHeader at the start of b and returns its
// encoded length and the page's uncompressed and compressed sizes (fields 2
// and 3). An error wrapping errThriftShort means b holds only part of it.
func pageHeader(b []byte) (n int, uncompressed, compressed int64, err error) {
	w := thriftWalker{b: b}
	var id int64
	seen := 0
	for {
		h, err := w.byte1()
		if err != nil {
			return 0, 0, 0, err
		}
		if h == 0 {
			break
		}
		if h>>4 == 0 {
			v, err := w.uvarint()
			if err != nil {
				return 0, 0, 0, err
			}
			id = unzigzag(v)
		} else {
			id += int64(h >> 4)
		}
		if t := h & 0x0f; (id == 2 || id == 3) && t == thriftI32 {
			v, err := w.uvarint()
			if err != nil {
				return 0, 0, 0, err
			}
			if id == 2 {
				uncompressed = unzigzag(v)
			} else {
				compressed = unzigzag(v)
			}
			seen++
		} else if err := w.skipValue(t, 1); err != nil {
			return 0, 0, 0, err
		}
	}
	if seen < 2 {
		return 0, 0, 0, errors.New("a page header lacks its sizes")
	}
	return w.off, uncompressed, compressed, nil
}

func unzigzag(v uint64) int64 { return int64(v>>1) ^ -int64(v&1) }
