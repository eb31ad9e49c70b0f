package model

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Fingerprint returns a hex SHA-256 identifying the model in dir without
// reading its weights: it hashes config.json, the shard index when the
// checkpoint is sharded, every safetensors file's header (the 8-byte
// length and the JSON header, which name, type, shape and place every
// tensor, not the tensor data), and those tokenizer files that exist
// (TokenizerFiles), in that fixed order.
// Each part enters the hash with its file name and length, so moving bytes
// between files changes the fingerprint.
func Fingerprint(dir string) (string, error) {
	h := sha256.New()
	config, err := os.ReadFile(filepath.Join(dir, ConfigFileName))
	if err != nil {
		return "", &FileError{File: filepath.Join(dir, ConfigFileName), Msg: "cannot read: " + unwrapPathError(err)}
	}
	writePart(h, ConfigFileName, config)

	var shards []string
	if _, err := os.Stat(filepath.Join(dir, SafetensorsFileName)); !errors.Is(err, fs.ErrNotExist) {
		shards = []string{SafetensorsFileName}
	} else {
		index := filepath.Join(dir, IndexFileName)
		data, err := os.ReadFile(index)
		if errors.Is(err, fs.ErrNotExist) {
			return "", &FileError{File: dir, Msg: fmt.Sprintf("no %s or %s", SafetensorsFileName, IndexFileName)}
		}
		if err != nil {
			return "", &FileError{File: index, Msg: "cannot read: " + unwrapPathError(err)}
		}
		weightMap, err := ParseShardIndex(data, index)
		if err != nil {
			return "", err
		}
		writePart(h, IndexFileName, data)
		shards = shardFiles(weightMap)
	}
	for _, s := range shards {
		header, err := readSafetensorsHeader(filepath.Join(dir, s))
		if err != nil {
			return "", err
		}
		writePart(h, s, header)
	}

	for _, name := range TokenizerFiles {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", &FileError{File: filepath.Join(dir, name), Msg: "cannot read: " + unwrapPathError(err)}
		}
		writePart(h, name, data)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writePart hashes a named byte string unambiguously: name, NUL, length as
// 8 little-endian bytes, bytes.
func writePart(h hash.Hash, name string, data []byte) {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(data)))
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write(n[:])
	h.Write(data)
}

// readSafetensorsHeader returns the first 8+N bytes of a safetensors file,
// validating the header like OpenSafetensors.
func readSafetensorsHeader(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &FileError{File: path, Msg: "cannot open: " + unwrapPathError(err)}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &FileError{File: path, Msg: "cannot stat: " + unwrapPathError(err)}
	}
	var lenBuf [8]byte
	if _, err := io.ReadFull(f, lenBuf[:]); err != nil {
		return nil, &FileError{File: path, Msg: fmt.Sprintf("file is %d bytes, too short for the 8-byte header length", st.Size()), Hint: "the file is truncated"}
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if err := checkHeaderLen(path, n, st.Size()); err != nil {
		return nil, err
	}
	buf := make([]byte, 8+n)
	copy(buf, lenBuf[:])
	if _, err := io.ReadFull(f, buf[8:]); err != nil {
		return nil, &FileError{File: path, Msg: "cannot read header: " + err.Error()}
	}
	if _, err := ParseSafetensorsHeader(buf[8:], st.Size()-8-int64(n)); err != nil {
		if fe, ok := err.(*FileError); ok {
			fe.File = path
		}
		return nil, err
	}
	return buf, nil
}
