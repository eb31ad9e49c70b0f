// Command kshot benchmarks GPT-style language models on zero-, one- and
// few-shot NLP tasks with its built-in decoder.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

func main() {
	err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	os.Exit(exitCode(err, os.Stderr))
}

// command is one kshot subcommand.
type command struct {
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"metric":   {"score hypotheses against references like sacreBLEU (bleu, chrf, ter)", cmdMetric},
	"run":      {"evaluate models on tasks (or a suite file) and write results", cmdRun},
	"merge":    {"merge the results of shards (kshot run --shard i/n) into one run", cmdMerge},
	"cache":    {"show or prune the request cache (stats, prune)", cmdCache},
	"tasks":    {"list the tasks", cmdTasks},
	"tokenize": {"print the token ids of stdin text", cmdTokenize},
	"report":   {"merge results files into tables, plots and report.html", cmdReport},
	"compare":  {"compare two results files with paired significance tests (CI gate)", cmdCompare},
	"train":    {"train a small GPT-2 (or the embedded ladder) on the synthetic corpus", cmdTrain},
	"logprobs": {"print per-token log-probabilities of stdin sequences (JSONL)", cmdLogprobs},
	"serve":    {"serve a model over the OpenAI-compatible completions API (/v1/completions)", cmdServe},
	"probe":    {"ask an OpenAI-compatible server what it really does (log-probs, window, stop, chat)", cmdProbe},
}

// usageError is a command-line mistake: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// exitError carries an explicit exit status (for example 1 for a gated
// regression) with an optional message.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, "kshot:", ee.msg)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "kshot:", err)
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

func init() {
	// Registered here: their functions read commands, which a variable
	// initializer could not refer to.
	commands["help"] = command{"list the commands, or print the help of one", cmdHelp}
	commands["version"] = command{"print kshot's version, commit, kernel path and Go version", cmdVersion}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		// No arguments: the main job (the embedded ladder on the synthetic suite).
		return commands["run"].run(nil, stdin, stdout, stderr)
	}
	switch args[0] {
	case "-h", "--help":
		usage(stdout)
		return nil
	case "--version":
		args = []string{"version"}
	}
	c, ok := commands[args[0]]
	if !ok {
		return unknownCommand(args[0])
	}
	err := c.run(args[1:], stdin, stdout, stderr)
	var h helpRequest
	if errors.As(err, &h) {
		writeHelp(stdout, h.name, h.fs)
		return nil
	}
	return err
}
