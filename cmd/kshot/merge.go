package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kshot-eval/kshot/eval/results"
)

func cmdMerge(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("merge", stderr)
	output := fs.String("output", "", "`DIR` for the merged results (required)")
	var dirs []string
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		dirs, args = append(dirs, args[0]), args[1:]
	}
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	dirs = append(dirs, rest...)
	if len(dirs) == 0 || *output == "" {
		return usageError{"kshot merge needs shard directories and --output DIR (kshot merge SHARD_DIR... --output DIR); see kshot merge -h"}
	}
	var shards []*results.Shard
	for _, d := range dirs {
		s, err := results.ReadShard(d)
		if err != nil {
			return badInput(err)
		}
		shards = append(shards, s)
	}
	merged, samples, err := results.Merge(shards, time.Now())
	if err != nil {
		return badInput(err)
	}
	path, err := results.WriteFiles(*output, results.MergedStamp(merged), merged, samples)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "merged %d shards into %s\n", len(shards), path)
	return nil
}
