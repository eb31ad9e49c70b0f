package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/term"
)

// interrupt handles SIGINT and SIGTERM during a run: the first asks for a
// clean stop (the batch in flight is answered and cached, nothing new
// starts), the second ends the process at once. The exit status is 130
// for SIGINT and 143 for SIGTERM, as a shell reports a process killed by
// them.
type interrupt struct {
	// ctx is cancelled at the first signal; Done closes then.
	ctx    context.Context
	cancel context.CancelFunc
	ch     chan os.Signal
	w      io.Writer
	tty    bool
	exit   func(code int)

	mu    sync.Mutex
	sig   os.Signal
	saved string // what a second signal's message says was saved
}

// watchSignals starts handling SIGINT and SIGTERM; stop them with close.
func watchSignals(stderr io.Writer) *interrupt {
	in := newInterrupt(stderr, os.Exit)
	signal.Notify(in.ch, os.Interrupt, syscall.SIGTERM)
	return in
}

// newInterrupt returns an interrupt that acts on the signals sent to its
// channel, ending the process with exit.
func newInterrupt(stderr io.Writer, exit func(code int)) *interrupt {
	ctx, cancel := context.WithCancel(context.Background())
	in := &interrupt{ctx: ctx, cancel: cancel, ch: make(chan os.Signal, 2), w: stderr, exit: exit}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		in.tty = true
	}
	go in.loop()
	return in
}

func (in *interrupt) loop() {
	for s := range in.ch {
		in.mu.Lock()
		first := in.sig == nil
		if first {
			in.sig = s
		}
		saved := in.saved
		in.mu.Unlock()
		if first {
			in.say(fmt.Sprintf("kshot: %s: stopping after the batch in flight (send it again to quit at once)", signalName(s)))
			in.cancel()
			continue
		}
		msg := fmt.Sprintf("kshot: second %s: quitting at once", signalName(s))
		if saved != "" {
			msg += "; " + saved
		}
		in.say(msg)
		in.exit(signalStatus(in.signal()))
	}
}

// say prints a line, first clearing a progress bar on a terminal.
func (in *interrupt) say(msg string) {
	if in.tty {
		msg = "\r\033[K" + msg
	}
	fmt.Fprintln(in.w, msg)
}

// close stops handling the signals: a later one has its default effect.
func (in *interrupt) close() {
	signal.Stop(in.ch)
	close(in.ch)
	in.cancel()
}

// Done is closed at the first signal.
func (in *interrupt) Done() <-chan struct{} { return in.ctx.Done() }

// stopped reports whether a signal has arrived.
func (in *interrupt) stopped() bool { return in.ctx.Err() != nil && in.signal() != nil }

// signal returns the first signal received, nil before one.
func (in *interrupt) signal() os.Signal {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.sig
}

// setSaved sets what a second signal's message says is saved.
func (in *interrupt) setSaved(s string) {
	in.mu.Lock()
	in.saved = s
	in.mu.Unlock()
}

// stoppedError is the error a run returns once stopped by a signal: the
// signal's exit status and msg, which says where the run stopped and what
// was saved.
func (in *interrupt) stoppedError(msg string) error {
	s := in.signal()
	return exitError{code: signalStatus(s), msg: fmt.Sprintf("interrupted by %s %s", signalName(s), msg)}
}

// signalStatus is the exit status of a run stopped by s: 128 + its number.
func signalStatus(s os.Signal) int {
	if s == syscall.SIGTERM {
		return 128 + int(syscall.SIGTERM)
	}
	return 128 + int(syscall.SIGINT)
}

// signalName names s as kill -l does, with its SIG prefix.
func signalName(s os.Signal) string {
	if s == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGINT"
}

// untilStopped runs f and returns its result, or returns errStopped as
// soon as in is stopped when that comes first (f, which takes no context,
// then runs on in the background and its result is dropped).
func untilStopped[T any](in *interrupt, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	var zero T
	if in.stopped() {
		return zero, errStopped
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-in.Done():
		return zero, errStopped
	}
}

// errStopped is returned by untilStopped when a signal came first.
var errStopped = fmt.Errorf("stopped by a signal")
