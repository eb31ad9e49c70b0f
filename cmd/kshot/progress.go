package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// progress shows per-task progress on stderr: a redrawn bar on a
// terminal, a log line every interval otherwise.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	interval time.Duration
	tokens   func() int64

	task      string
	start     time.Time
	tok0      int64
	lastPrint time.Time
	done      int    // the last count of done requests
	lastLine  string // the last log line printed (not on a terminal)
	open      bool   // a bar is drawn on the terminal's current line
}

func newProgress(w io.Writer, tokens func() int64) *progress {
	p := &progress{w: w, interval: 10 * time.Second, tokens: tokens}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	return p
}

// update implements eval.Options.Progress.
func (p *progress) update(task string, done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	// A new task, or the same task started again (another seed), restarts
	// the clock; a repeated 0 does not print the same line again.
	if task != p.task || done < p.done {
		p.task, p.start, p.lastPrint = task, now, time.Time{}
		if p.tokens != nil {
			p.tok0 = p.tokens()
		}
	}
	p.done = done
	elapsed := now.Sub(p.start).Seconds()
	// No rate until a token is computed: a run answered from the cache
	// computes none, and "0 tokens/s" would read as a stalled model.
	rate := ""
	if p.tokens != nil && elapsed > 0 {
		if n := p.tokens() - p.tok0; n > 0 {
			rate = fmt.Sprintf(", %.0f tokens/s", float64(n)/elapsed)
		}
	}
	eta := "?"
	if done > 0 && done < total {
		eta = (time.Duration(elapsed/float64(done)*float64(total-done)) * time.Second).Round(time.Second).String()
	} else if done == total {
		eta = "done"
	}
	if p.tty {
		const width = 30
		filled := 0
		if total > 0 {
			filled = width * done / total
		}
		bar := strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
		fmt.Fprintf(p.w, "\r\033[K%s %s %d/%d requests%s  ETA %s", task, bar, done, total, strings.Replace(rate, ",", " ", 1), eta)
		p.open = done != total
		if !p.open {
			fmt.Fprintln(p.w)
		}
		return
	}
	line := fmt.Sprintf("kshot: %s: %d/%d requests%s, ETA %s\n", task, done, total, rate, eta)
	if line != p.lastLine && (done == total || now.Sub(p.lastPrint) >= p.interval) {
		p.lastPrint, p.lastLine = now, line
		fmt.Fprint(p.w, line)
	}
}

// end ends the line of a bar left unfinished (a task that failed or was
// stopped), so that what is printed next starts on its own line. A nil
// progress does nothing.
func (p *progress) end() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.open {
		fmt.Fprintln(p.w)
		p.open = false
	}
}
