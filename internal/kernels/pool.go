package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// The worker pool: long-lived goroutines that take tasks from workCh. A
// task is handed to at most Threads()-1 idle workers and the calling
// goroutine works on it too, so Parallel never waits for a worker that has
// not joined and nested or concurrent calls cannot deadlock.

var (
	threads atomic.Int64 // goroutines per Parallel call, ≥ 1
	poolMu  sync.Mutex   // guards workers
	workers int          // long-lived worker goroutines started so far
	workCh  = make(chan *task, 64)
)

func init() { threads.Store(int64(runtime.GOMAXPROCS(0))) }

// task is one Parallel call: items [0,n) claimed through next.
type task struct {
	f      func(i int)
	n      int64
	next   atomic.Int64
	mu     sync.Mutex
	cond   sync.Cond
	active int  // workers that joined and have not finished
	closed bool // all items are claimed; late workers skip the task
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

func worker() {
	for t := range workCh {
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			continue
		}
		t.active++
		t.mu.Unlock()
		t.run()
		t.mu.Lock()
		t.active--
		if t.active == 0 {
			t.cond.Broadcast()
		}
		t.mu.Unlock()
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
	tk.cond.L = &tk.mu
send:
	for i := 0; i < t-1; i++ {
		select {
		case workCh <- tk:
		default:
			break send // queue full: the caller does the work
		}
	}
	tk.run()
	tk.mu.Lock()
	tk.closed = true
	for tk.active > 0 {
		tk.cond.Wait()
	}
	tk.mu.Unlock()
}
