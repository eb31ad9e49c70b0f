package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kshot-eval/kshot/eval/cache"
	"github.com/kshot-eval/kshot/internal/suggest"
)

func cmdCache(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	sub, rest := "", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, rest = args[0], args[1:]
	}
	name := "cache"
	switch sub {
	case "stats", "prune":
		name += " " + sub
	case "":
	default:
		if s := suggest.Closest(sub, []string{"stats", "prune"}); s != "" {
			return usageError{fmt.Sprintf("unknown cache command %q (did you mean %q?); see kshot cache -h", sub, s)}
		}
		return usageError{fmt.Sprintf("unknown cache command %q: want stats or prune; see kshot cache -h", sub)}
	}
	fs := newFlagSet(name, stderr)
	dir := fs.String("cache-dir", "", "the request cache, a `DIR` (default: the user cache directory's kshot folder)")
	var modelKey *string
	var older *time.Duration
	if sub != "stats" {
		modelKey = fs.String("model", "", "only the entries of the model key `KEY`, as kshot cache stats prints it")
		older = fs.Duration("older-than", 0, "only entries written longer ago than this `DURATION` (e.g. 720h)")
	}
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	if sub == "" {
		return usageError{"kshot cache needs a command: stats or prune; see kshot cache -h"}
	}
	if older != nil && *older < 0 {
		return usageError{"--older-than must not be negative"}
	}
	if *dir == "" {
		d, err := cache.DefaultDir()
		if err != nil {
			return err
		}
		*dir = d
	}
	c, err := cache.Open(*dir)
	if err != nil {
		return err
	}
	defer c.Close()
	if c.Rebuilt != "" {
		fmt.Fprintln(stderr, "kshot: warning:", c.Rebuilt)
	}
	if sub == "stats" {
		st, err := c.Stats()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "cache %s\n", c.Path())
		var n, b int64
		for _, s := range st {
			fmt.Fprintf(stdout, "  model %s  %d entries  %.1f MB  last written %s\n", s.Model, s.Entries, float64(s.Bytes)/1e6, s.Newest.UTC().Format(time.RFC3339))
			n += s.Entries
			b += s.Bytes
		}
		fmt.Fprintf(stdout, "  total: %d models, %d entries, %.1f MB\n", len(st), n, float64(b)/1e6)
		return nil
	}
	if *modelKey != "" {
		st, err := c.Stats()
		if err != nil {
			return err
		}
		found := false
		for _, s := range st {
			found = found || s.Model == *modelKey
		}
		if !found {
			return exitError{code: 1, msg: fmt.Sprintf("no entries for %s in %s (kshot cache stats lists the model keys)", *modelKey, c.Path())}
		}
	}
	var cutoff time.Time
	if *older > 0 {
		cutoff = time.Now().Add(-*older)
	}
	n, err := c.Prune(*modelKey, cutoff)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pruned %d entries from %s\n", n, c.Path())
	return nil
}
