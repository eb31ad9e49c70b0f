package main

import (
	"fmt"
	"strings"
	"testing"
)

// transcript runs each command line (a "$ " prefix is dropped; words are
// split on spaces) and returns what a user would see: the command, its
// stderr, its stdout and its exit status.
func transcript(t *testing.T, lines ...string) string {
	t.Helper()
	var b strings.Builder
	for _, line := range lines {
		args := strings.Fields(line)
		stdout, stderr, code := runCLI(args...)
		fmt.Fprintf(&b, "$ kshot %s\n%s%sexit status %d\n\n", line, stderr, stdout, code)
	}
	return b.String()
}

// TestFlagErrors: a bad flag value is one line on stderr that says what is
// wrong, the expected form and which help to read, with exit status 2 —
// never the whole usage.
func TestFlagErrors(t *testing.T) {
	got := transcript(t,
		"run --limit abc",
		"run --seed abc",
		"run --seed -3",
		"run --data x.jsonl",
		"run --data =x.jsonl",
		"run --variant lambada_openai=",
		"run --limt 10",
		"run --limit",
		"run --quiet=maybe",
		"run --shots 1,two",
		"compare --alpha often a b",
		"cache prune --older-than 3x",
		"cache stat",
		"cache",
		"report --max-samples many x",
		"metric bleu --width wide --refs r",
		"serve --max-batch lots",
		"train --steps ten --out x",
		"tasks extra",
		"tokenize",
		"logprobs",
		"merge",
		"nope",
	)
	checkGolden(t, "messages_flags.stdout", got)
	for _, block := range strings.Split(strings.TrimSpace(got), "\n\n") {
		lines := strings.Split(block, "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[1], "kshot: ") || lines[2] != "exit status 2" {
			t.Errorf("want the command, one kshot: line and exit status 2, got\n%s", block)
		}
	}
}

// TestCachePruneNoEntries: kshot cache prune --model with a key the cache
// does not hold says so and exits 1 instead of "pruned 0 entries".
func TestCachePruneNoEntries(t *testing.T) {
	dir := t.TempDir()
	stdout, stderr, code := runCLI("cache", "prune", "--model", "gpt3", "--cache-dir", dir)
	want := "kshot: no entries for gpt3 in " + dir + "/requests.sqlite (kshot cache stats lists the model keys)\n"
	if code != 1 || stdout != "" || stderr != want {
		t.Errorf("exit status %d, stdout %q, stderr %q; want 1, nothing and %q", code, stdout, stderr, want)
	}
	if stdout, _, code := runCLI("cache", "stats", "--cache-dir", dir); code != 0 || !strings.Contains(stdout, "total: 0 models, 0 entries") {
		t.Errorf("kshot cache stats on an empty cache: exit status %d, output %q", code, stdout)
	}
}
