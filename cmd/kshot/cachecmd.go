package main

import (
	"fmt"
	"io"
	"time"

	"github.com/kshot-eval/kshot/eval/cache"
)

func cmdCache(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "stats" && args[0] != "prune") {
		return usageError{"usage: kshot cache stats|prune [--cache-dir DIR] [--model HASH] [--older-than 720h]"}
	}
	sub := args[0]
	fs := newFlagSet("cache "+sub, stderr)
	dir := fs.String("cache-dir", "", "request cache directory (default: the user cache directory's kshot folder)")
	modelKey := fs.String("model", "", "prune: only this model's entries (its key, as stats prints it)")
	older := fs.Duration("older-than", 0, "prune: only entries written longer ago than this (e.g. 720h)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *older < 0 {
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
