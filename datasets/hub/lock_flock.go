//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package hub

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// fileLock is an exclusive flock(2) on a lock file, the kind of lock
// Python's filelock (used by huggingface_hub) takes, so kshot and Python
// tools exclude each other. The kernel releases it when the process dies.
type fileLock struct{ f *os.File }

// lockFile takes the lock at path, creating the file (and its folder) if
// needed. It polls every 50 ms until the lock is free or ctx ends, calling
// waiting once when it first has to wait. The lock file is never deleted:
// deleting it would let a waiter lock an unlinked inode.
func lockFile(ctx context.Context, path string, waiting func()) (*fileLock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &fileLock{f}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, &os.PathError{Op: "flock", Path: path, Err: err}
		}
		if waiting != nil {
			waiting()
			waiting = nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// touch is a no-op: a flock needs no keep-alive.
func (l *fileLock) touch() {}

// unlock releases the lock.
func (l *fileLock) unlock() error {
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	return l.f.Close()
}
