package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kshot-eval/kshot/eval/cache"
)

// TestInterrupt drives an interrupt with signals sent to its channel: the
// first stops the phases that wait on it, the second ends the process
// with the first signal's status.
func TestInterrupt(t *testing.T) {
	cases := []struct {
		sig  os.Signal
		code int
		name string
	}{
		{syscall.SIGINT, 130, "SIGINT"},
		{syscall.SIGTERM, 143, "SIGTERM"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var w bytes.Buffer
			exited := make(chan int, 1)
			in := newInterrupt(&w, func(code int) { exited <- code })
			in.setSaved("batches are in X")
			block := make(chan struct{})
			defer close(block)
			started := make(chan struct{})
			go func() {
				<-started
				in.ch <- c.sig
			}()
			// A phase that never ends by itself (model loading, say).
			_, err := untilStopped(in, func() (int, error) {
				close(started)
				<-block
				return 0, nil
			})
			if !errors.Is(err, errStopped) || !in.stopped() {
				t.Fatalf("untilStopped: %v, stopped %v", err, in.stopped())
			}
			var ee exitError
			if !errors.As(in.stoppedError("while loading"), &ee) || ee.code != c.code || ee.msg != "interrupted by "+c.name+" while loading" {
				t.Errorf("stoppedError %+v", ee)
			}
			in.ch <- c.sig
			if code := <-exited; code != c.code {
				t.Errorf("second signal: exit %d, want %d", code, c.code)
			}
			want := "kshot: " + c.name + ": stopping after the batch in flight (send it again to quit at once)\n" +
				"kshot: second " + c.name + ": quitting at once; batches are in X\n"
			if w.String() != want {
				t.Errorf("printed %q, want %q", w.String(), want)
			}
		})
	}
}

// gatedServer is the fake API server of the process tests: it answers
// synth_lambada's first `free` requests, then holds the others until
// open is closed; arrived is closed when the first is held.
type gatedServer struct {
	url           string
	open, arrived chan struct{}
	once          sync.Once
}

// release lets the held requests through.
func (g *gatedServer) release() { g.once.Do(func() { close(g.open) }) }

func newGatedServer(t *testing.T, free int) *gatedServer {
	g := &gatedServer{open: make(chan struct{}), arrived: make(chan struct{})}
	var mu sync.Mutex
	n := 0
	hs := apiServer(t, func(w http.ResponseWriter, body string) bool {
		if !strings.Contains(body, "walked to the") { // not synth_lambada
			return true
		}
		mu.Lock()
		n++
		if n == free+1 {
			close(g.arrived)
		}
		held := n > free
		mu.Unlock()
		if held {
			<-g.open
		}
		return true
	})
	g.url = hs.URL
	// Runs before the server's cleanup, which waits for held requests.
	t.Cleanup(g.release)
	return g
}

// lineReader collects a process's stderr and tells when a line appears.
type lineReader struct {
	mu    sync.Mutex
	lines []string
	more  chan struct{}
	done  chan struct{}
}

func readLines(t *testing.T, cmd *exec.Cmd) *lineReader {
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	r := &lineReader{more: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			r.mu.Lock()
			r.lines = append(r.lines, sc.Text())
			r.mu.Unlock()
			select {
			case r.more <- struct{}{}:
			default:
			}
		}
	}()
	return r
}

func (r *lineReader) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

// waitFor waits until a line contains s; the process ending first, or two
// minutes, fail the test (a guard against a hang, not a timing check).
func (r *lineReader) waitFor(t *testing.T, s string) {
	t.Helper()
	guard := time.After(2 * time.Minute)
	for !strings.Contains(r.text(), s) {
		select {
		case <-r.more:
		case <-r.done:
			if !strings.Contains(r.text(), s) {
				t.Fatalf("stderr ended without %q:\n%s", s, r.text())
			}
		case <-guard:
			t.Fatalf("no %q on stderr after two minutes:\n%s", s, r.text())
		}
	}
}

// TestSignalStopsRun sends SIGINT or SIGTERM to a real kshot process
// while a batch of its second task is in flight on a served model: the
// batch is answered and cached, the finished first task's results are
// written, and the exit status is the signal's; a second signal while
// the batch hangs ends the process at once.
func TestSignalStopsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	bin := builtKshot(t)
	const limit, batch, free = 40, 4, 8
	cases := []struct {
		name   string
		sig    syscall.Signal
		code   int
		second bool // send the signal again instead of letting the batch end
	}{
		{"SIGINT", syscall.SIGINT, 130, false},
		{"SIGTERM", syscall.SIGTERM, 143, false},
		{"second SIGTERM", syscall.SIGTERM, 143, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := newGatedServer(t, free)
			cacheDir, out := t.TempDir(), t.TempDir()
			cmd := exec.Command(bin, "run", "--model", "api:"+g.url+"/v1", "--api-model", "tiny", "--api-concurrency", "1",
				"--tasks", "synth_arithmetic,synth_lambada", "--limit", strconv.Itoa(limit), "--batch-size", strconv.Itoa(batch),
				"--cache-dir", cacheDir, "--output", out, "--quiet")
			cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir(), "HF_HUB_OFFLINE=1")
			stderr := readLines(t, cmd)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			select {
			case <-g.arrived:
			case <-stderr.done:
				t.Fatalf("kshot ended before a synth_lambada request was held:\n%s", stderr.text())
			}
			before := cacheEntries(t, cacheDir) // every batch before the held one
			cmd.Process.Signal(c.sig)
			stderr.waitFor(t, "kshot: "+signalName(c.sig)+": stopping after the batch in flight")
			if c.second {
				cmd.Process.Signal(c.sig)
			} else {
				g.release()
			}
			<-stderr.done
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != c.code {
				t.Fatalf("exit %v, want status %d\n%s", err, c.code, stderr.text())
			}
			msg := stderr.text()
			cachePath := filepath.Join(cacheDir, filepath.Base(mustCachePath(t, cacheDir)))
			if c.second {
				want := fmt.Sprintf("kshot: second %s: quitting at once; every completed batch is saved in %s", signalName(c.sig), cachePath)
				if !strings.Contains(msg, want) {
					t.Errorf("stderr lacks %q:\n%s", want, msg)
				}
				return
			}
			m := regexp.MustCompile(`kshot: interrupted by ` + signalName(c.sig) + ` while scoring synth_lambada \((\d+) of (\d+) requests answered\); every completed batch is saved in ` +
				regexp.QuoteMeta(cachePath) + `: rerun the same command to resume; the results of the tasks that finished are in (\S+)$`).FindStringSubmatch(lastLine(msg))
			if m == nil {
				t.Fatalf("last line %q does not say where it stopped and what was saved\n%s", lastLine(msg), msg)
			}
			// The held batch was answered and cached, and no other was sent.
			if m[1] != strconv.Itoa(free+batch) || m[2] != strconv.Itoa(limit) {
				t.Errorf("%s of %s requests answered, want %d of %d", m[1], m[2], free+batch, limit)
			}
			if after := cacheEntries(t, cacheDir); after != before+batch {
				t.Errorf("%d cache entries after the stop, %d before the held batch: want %d more", after, before, batch)
			}
			if keys := strings.Join(resultKeys(t, m[3]), ","); keys != "synth_arithmetic" {
				t.Errorf("results file %s holds %s, want synth_arithmetic", m[3], keys)
			}
		})
	}
}

// cacheEntries returns the number of entries of the one model in the
// request cache of dir (0 when there is none yet).
func cacheEntries(t *testing.T, dir string) int64 {
	t.Helper()
	c, err := cache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st, err := c.Stats()
	if err != nil || len(st) > 1 {
		t.Fatalf("cache stats %+v %v", st, err)
	}
	if len(st) == 0 {
		return 0
	}
	return st[0].Entries
}

var kshotBuild struct {
	once sync.Once
	dir  string
	out  []byte
	err  error
}

// builtKshot builds the kshot binary once for the process tests of this
// package and returns its path.
func builtKshot(t *testing.T) string {
	t.Helper()
	b := &kshotBuild
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "kshot-bin"); b.err == nil {
			b.out, b.err = exec.Command("go", "build", "-o", filepath.Join(b.dir, "kshot"), ".").CombinedOutput()
		}
	})
	if b.err != nil {
		t.Fatalf("go build: %v\n%s", b.err, b.out)
	}
	return filepath.Join(b.dir, "kshot")
}

// mustCachePath returns the request cache file of dir.
func mustCachePath(t *testing.T, dir string) string {
	t.Helper()
	c, err := cache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.Path()
}
