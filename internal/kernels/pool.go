package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The worker pool: long-lived goroutines that help Parallel calls. A call
// is offered to the workers that are polling for work and sent to parked
// ones, up to Threads()-1 helpers; the calling goroutine works on it too,
// so Parallel never waits for a helper that has not started and nested or
// concurrent calls cannot deadlock.
//
// The passes of a forward pass follow each other within microseconds,
// while waking a parked thread takes tens of microseconds on a virtual
// machine, so a worker that has finished a task polls for the next one
// for spinTime before it parks, and the caller waits for its helpers by
// polling too (yielding its thread to other goroutines as it does).

var (
	threads  atomic.Int64 // goroutines per Parallel call, ≥ 1
	poolMu   sync.Mutex   // guards workers
	workers  int          // long-lived worker goroutines started so far
	workCh   = make(chan *task, 64)
	spinners atomic.Int32         // workers polling offer
	offer    atomic.Pointer[task] // the newest Parallel call, for them
)

// spinTime is how long an idle worker polls for a new task before parking.
const spinTime = 50 * time.Microsecond

func init() { threads.Store(int64(runtime.GOMAXPROCS(0))) }

// task is one Parallel call: items [0,n) claimed through next.
type task struct {
	f      func(i int)
	n      int64
	next   atomic.Int64
	active atomic.Int32 // helpers that joined and have not left
	closed atomic.Bool  // the caller has returned or is about to
}

// run claims and runs items until none are left.
func (t *task) run() {
	for {
		i := t.next.Add(1) - 1
		if i >= t.n {
			return
		}
		t.f(int(i))
	}
}

// join helps with t unless its caller has closed it. The caller sets
// closed before it reads active and a helper raises active before it
// reads closed, so either the caller waits for the helper or the helper
// sees closed and calls nothing.
func (t *task) join() {
	t.active.Add(1)
	if !t.closed.Load() {
		t.run()
	}
	t.active.Add(-1)
}

func worker() {
	var last *task
	for t := range workCh {
		if t != last {
			t.join()
			last = t
		}
		last = spin(last)
	}
}

// spin polls offer for spinTime, helping with each new task it finds (and
// restarting the clock), and returns the last task it helped with.
func spin(last *task) *task {
	spinners.Add(1)
	defer spinners.Add(-1)
	start := time.Now()
	for i := 1; ; i++ {
		if t := offer.Load(); t != nil && t != last {
			spinners.Add(-1)
			t.join()
			spinners.Add(1)
			last, start = t, time.Now()
			continue
		}
		if i%64 == 0 {
			if time.Since(start) > spinTime {
				return last
			}
			runtime.Gosched()
		}
	}
}

// SetThreads sets the number of goroutines MatMul and Parallel use (at
// least 1; the default is GOMAXPROCS at start-up).
func SetThreads(n int) { threads.Store(int64(max(1, n))) }

// Threads returns the number of goroutines MatMul and Parallel use.
func Threads() int { return int(threads.Load()) }

// Parallel calls f(i) for every i in [0,n) on up to Threads() goroutines —
// the caller and idle workers of a persistent pool — and returns when all
// calls have returned. Which goroutine runs which i is unspecified.
func Parallel(n int, f func(i int)) {
	t := min(Threads(), n)
	if t <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	poolMu.Lock()
	for ; workers < t-1; workers++ {
		go worker()
	}
	poolMu.Unlock()
	tk := &task{f: f, n: int64(n)}
	offer.Store(tk)
send: // wake parked workers for the helpers the polling ones do not provide
	for i := int(spinners.Load()); i < t-1; i++ {
		select {
		case workCh <- tk:
		default:
			break send // queue full: the caller does the work
		}
	}
	tk.run()
	offer.CompareAndSwap(tk, nil)
	tk.closed.Store(true)
	for i := 1; tk.active.Load() != 0; i++ {
		if i%64 == 0 {
			runtime.Gosched()
		}
	}
}
