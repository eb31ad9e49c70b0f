//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package hub

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// fileLock is a portable lock for systems without flock: the lock is held
// by whoever creates the lock file exclusively. A holder refreshes the
// file's modification time while it works (touch); a lock file left
// untouched for staleAfter by a process that died is taken over.
type fileLock struct {
	path  string
	last  time.Time
	owned *os.File
}

// staleAfter is how long an untouched lock file is respected.
const staleAfter = 2 * time.Minute

// lockFile takes the lock at path, polling every 50 ms until it is free or
// ctx ends, calling waiting once when it first has to wait.
func lockFile(ctx context.Context, path string, waiting func()) (*fileLock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			return &fileLock{path: path, last: time.Now(), owned: f}, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if fi, err := os.Stat(path); err == nil && time.Since(fi.ModTime()) > staleAfter {
			os.Remove(path)
			continue
		}
		if waiting != nil {
			waiting()
			waiting = nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// touch refreshes the lock file's time, at most every 10 s, so that
// waiters do not take it for stale.
func (l *fileLock) touch() {
	if now := time.Now(); now.Sub(l.last) > 10*time.Second {
		os.Chtimes(l.path, now, now)
		l.last = now
	}
}

// unlock releases the lock by deleting the file.
func (l *fileLock) unlock() error {
	l.owned.Close()
	return os.Remove(l.path)
}
