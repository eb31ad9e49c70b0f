package hub

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progress shows the progress of one download on Client.Progress: on a
// terminal a bar redrawn in place at most 5 times a second, elsewhere
// (a log file, a pipe) one line when the download starts and one when it
// ends. Downloads smaller than Client.progressMin are not shown. Writing to
// it also keeps the blob's lock alive.
type progress struct {
	w       io.Writer // nil when not shown
	tty     bool
	name    string // "model gpt2 model.safetensors"
	total   int64  // expected size in bytes; -1 when unknown
	done    int64  // bytes on disk so far, resumed ones included
	resumed int64  // bytes already there when this request started
	start   time.Time
	drawn   time.Time
	width   int // length of the last line drawn, for blanking
	lk      *fileLock
}

// newProgress starts the display of a download of file resumed at byte
// off of total (-1 when unknown).
func (h *Client) newProgress(r repoRef, file string, off, total int64, lk *fileLock) *progress {
	p := &progress{name: r.String() + " " + file, total: total, done: off, resumed: off, start: time.Now(), lk: lk}
	min := h.progressMin
	if min == 0 {
		min = 4_000_000
	}
	if h.Progress == nil || (total >= 0 && total < min) {
		return p
	}
	p.w = h.Progress
	if f, ok := h.Progress.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	if p.tty {
		if r := []rune(p.name); len(r) > 40 {
			p.name = "…" + string(r[len(r)-39:]) // keep the bar on one line
		}
		p.draw()
		return p
	}
	msg := "kshot: downloading " + p.name
	if total >= 0 {
		msg += " (" + humanBytes(total) + ")"
	}
	if off > 0 {
		msg += ", resuming at " + humanBytes(off)
	}
	fmt.Fprintln(p.w, msg)
	return p
}

// Write counts downloaded bytes; it never fails.
func (p *progress) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if p.lk != nil {
		p.lk.touch()
	}
	if p.tty && time.Since(p.drawn) >= 200*time.Millisecond {
		p.draw()
	}
	return len(b), nil
}

// draw redraws the bar: name, bar, percentage, bytes, rate.
func (p *progress) draw() {
	p.drawn = time.Now()
	var b strings.Builder
	b.WriteString("\rkshot: " + p.name + " ")
	if p.total > 0 {
		frac := float64(p.done) / float64(p.total)
		const cells = 24
		full := int(frac * cells)
		b.WriteString("[" + strings.Repeat("=", full) + strings.Repeat(" ", cells-full) + "]")
		fmt.Fprintf(&b, " %3.0f%% %s/%s", 100*frac, humanBytes(p.done), humanBytes(p.total))
	} else {
		b.WriteString(humanBytes(p.done))
	}
	fmt.Fprintf(&b, " %s/s", humanBytes(int64(p.rate())))
	line := b.String()
	if pad := p.width - len(line); pad > 0 {
		line += strings.Repeat(" ", pad)
	}
	p.width = len(b.String())
	io.WriteString(p.w, line)
}

// rate returns the speed of this request in bytes per second.
func (p *progress) rate() float64 {
	s := time.Since(p.start).Seconds()
	if s <= 0 {
		return 0
	}
	return float64(p.done-p.resumed) / s
}

// finish ends the display: err is the copy's error, nil on success.
func (p *progress) finish(err error) {
	if p.w == nil {
		return
	}
	if p.tty {
		p.draw()
		fmt.Fprintln(p.w)
	}
	if err != nil {
		fmt.Fprintf(p.w, "kshot: download of %s interrupted after %s: %v\n", p.name, humanBytes(p.done), err)
		return
	}
	if !p.tty {
		fmt.Fprintf(p.w, "kshot: downloaded %s: %s in %.1f s (%s/s)\n", p.name, humanBytes(p.done-p.resumed),
			time.Since(p.start).Seconds(), humanBytes(int64(p.rate())))
	}
}

// humanBytes formats n bytes in decimal units: "950 B", "12.3 kB",
// "548.1 MB", "6.43 GB".
func humanBytes(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1_000_000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	case n < 1_000_000_000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.2f GB", float64(n)/1e9)
}
