package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/kshot-eval/kshot/internal/suggest"
)

// The help of every subcommand comes from one place: its doc (synopsis,
// what it does, examples) and its flag set, whose flags are listed with
// their value form and default. A flag added to a command's flag set
// joins its -h output by itself; a backquoted word in the flag's usage
// (`N`, `DIR`, `TASK=PATH`) names its value, as in package flag.

// commandDoc is the help of one subcommand.
type commandDoc struct {
	synopsis []string // usage lines, without the leading "usage: "
	about    string   // what the command does, in paragraphs
	examples []string // command lines, "# comment" allowed after two spaces
}

// helpRequest is returned by the flag parsing of a subcommand on -h:
// run prints the command's help on stdout and exits 0.
type helpRequest struct {
	name string        // the subcommand, e.g. "run" or "cache stats"
	fs   *flag.FlagSet // its flags
}

func (h helpRequest) Error() string { return "help requested for kshot " + h.name }

// newFlagSet returns the flag set of subcommand name ("run", "cache
// prune"): it prints nothing itself, parseFlags turns its errors into one
// line and -h into a helpRequest.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("kshot "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args, which must hold only flags.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := parseOnce(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q; see %s -h", fs.Arg(0), fs.Name())}
	}
	return nil
}

// parseInterleaved parses fs from args, allowing flags before, between
// and after the positional arguments, which it returns.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseOnce(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// failedValue wraps a flag's value to remember which flag refused which
// text, so that the error can say what the flag expects.
type failedValue struct {
	flag.Value
	name   string
	failed *flagFailure
}

// flagFailure is the first flag value that did not parse.
type flagFailure struct {
	name, text string
	err        error
}

func (v failedValue) Set(s string) error {
	err := v.Value.Set(s)
	if err != nil && v.failed.name == "" {
		*v.failed = flagFailure{v.name, s, err}
	}
	return err
}

func (v failedValue) IsBoolFlag() bool {
	b, ok := v.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// parseOnce is fs.Parse with package flag's errors turned into one line
// that names the flag, the expected form and the help to read.
func parseOnce(fs *flag.FlagSet, args []string) error {
	var failed flagFailure
	var originals []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		originals = append(originals, f)
		f.Value = failedValue{f.Value, f.Name, &failed}
	})
	err := fs.Parse(args)
	for _, f := range originals {
		f.Value = f.Value.(failedValue).Value
	}
	if err == nil {
		return nil
	}
	name := strings.TrimPrefix(fs.Name(), "kshot ")
	if errors.Is(err, flag.ErrHelp) {
		return helpRequest{name, fs}
	}
	see := "see " + fs.Name() + " -h"
	if failed.name != "" {
		return usageError{badValue(fs.Lookup(failed.name), failed.text, failed.err) + "; " + see}
	}
	msg := err.Error()
	if n, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		n = strings.TrimLeft(n, "-")
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if s := suggest.Closest(n, names); s != "" {
			return usageError{fmt.Sprintf("unknown flag --%s (did you mean --%s?); %s", n, s, see)}
		}
		return usageError{fmt.Sprintf("unknown flag --%s; %s", n, see)}
	}
	if n, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		f := fs.Lookup(strings.TrimLeft(n, "-"))
		if f != nil {
			return usageError{fmt.Sprintf("--%s needs a value; want --%s %s; %s", f.Name, f.Name, valueName(f), see)}
		}
	}
	return usageError{msg + "; " + see}
}

// badValue says what is wrong with the text a flag refused (err is what
// its Set returned) and the form it expects.
func badValue(f *flag.Flag, text string, err error) string {
	want := "--" + f.Name + " " + valueName(f)
	what := err.Error()
	switch fmt.Sprintf("%T", f.Value) {
	case "*flag.intValue", "*flag.int64Value":
		what = "not a whole number"
	case "*flag.uintValue", "*flag.uint64Value":
		what = "not a whole number of 0 or more"
	case "*flag.float64Value":
		what = "not a number"
	case "*flag.durationValue":
		what = "not a duration such as 90s, 15m or 2h"
	case "*flag.boolValue":
		what, want = "not true or false", "--"+f.Name+" or --"+f.Name+"=false"
	}
	return fmt.Sprintf("--%s %q: %s; want %s", f.Name, text, what, want)
}

// valueName is the placeholder of f's value in the help: the backquoted
// word of its usage, else one from its type.
func valueName(f *flag.Flag) string {
	name, _ := flag.UnquoteUsage(f)
	switch name {
	case "int", "uint":
		return "N"
	case "float":
		return "X"
	case "duration":
		return "DURATION"
	case "string", "value":
		return "VALUE"
	}
	return name
}

// isZeroDefault reports whether a flag's default says nothing worth
// printing.
func isZeroDefault(f *flag.Flag) bool {
	switch f.DefValue {
	case "", "0", "false", "[]", "map[]", "0s":
		return true
	}
	return false
}

// writeHelp prints the help of subcommand name (a doc must exist: a
// command without one is a bug caught by TestHelpGolden).
func writeHelp(w io.Writer, name string, fs *flag.FlagSet) {
	doc, ok := commandDocs[name]
	if !ok {
		panic("kshot: no help for command " + name)
	}
	for i, s := range doc.synopsis {
		if i == 0 {
			fmt.Fprintf(w, "usage: %s\n", s)
		} else {
			fmt.Fprintf(w, "       %s\n", s)
		}
	}
	for _, para := range strings.Split(strings.TrimSpace(doc.about), "\n\n") {
		fmt.Fprintln(w)
		if strings.Contains(para, "\n  ") { // an indented example: kept as written
			fmt.Fprintln(w, para)
			continue
		}
		for _, line := range wrap(para, 78) {
			fmt.Fprintln(w, line)
		}
	}
	if fs != nil {
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(w, "\nflags:")
		}
		fs.VisitAll(func(f *flag.Flag) {
			head := "  --" + f.Name
			if v := valueName(f); v != "" {
				head += " " + v
			}
			_, usage := flag.UnquoteUsage(f)
			if !isZeroDefault(f) {
				def := f.DefValue
				if fmt.Sprintf("%T", f.Value) == "*flag.stringValue" {
					def = fmt.Sprintf("%q", def)
				}
				usage += " (default " + def + ")"
			}
			fmt.Fprintln(w, head)
			for _, line := range wrap(usage, 72) {
				fmt.Fprintf(w, "        %s\n", line)
			}
		})
	}
	if len(doc.examples) > 0 {
		fmt.Fprintln(w, "\nexamples:")
		for _, e := range doc.examples {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}

// wrap breaks s into lines of at most width runes at spaces.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len([]rune(line))+1+len([]rune(word)) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// helpFlagSet returns the flag set of subcommand name by asking the
// command for its help, for kshot help NAME.
func helpFlagSet(name string) (*flag.FlagSet, error) {
	parts := strings.Fields(name)
	c, ok := commands[parts[0]]
	if !ok {
		return nil, unknownCommand(parts[0])
	}
	err := c.run(append(parts[1:], "-h"), strings.NewReader(""), io.Discard, io.Discard)
	var h helpRequest
	if errors.As(err, &h) {
		return h.fs, nil
	}
	if _, ok := commandDocs[name]; ok {
		return nil, nil // a command without flags
	}
	return nil, usageError{fmt.Sprintf("no help for %q; run kshot help for the list", name)}
}

// cmdHelp implements kshot help [COMMAND].
func cmdHelp(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stdout)
		return nil
	}
	if args[0] == "-h" || args[0] == "--help" {
		return helpRequest{"help", nil}
	}
	name := strings.Join(args, " ")
	fs, err := helpFlagSet(name)
	if err != nil {
		return err
	}
	writeHelp(stdout, name, fs)
	return nil
}

// unknownCommand is the error for a subcommand kshot does not have.
func unknownCommand(name string) error {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	if s := suggest.Closest(name, names); s != "" {
		return usageError{fmt.Sprintf("unknown command %q (did you mean %q? kshot help lists them)", name, s)}
	}
	return usageError{fmt.Sprintf("unknown command %q (run kshot help for the list)", name)}
}

// usage lists the subcommands (kshot help).
func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: kshot <command> [flags]\n\nkshot benchmarks GPT-style language models on zero-, one- and few-shot NLP\ntasks the way the GPT-1/2/3 papers did. Without a command it runs its main\njob: the embedded model ladder on the synthetic suite, offline.\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nrun kshot help <command> (or kshot <command> -h) for a command's flags and examples")
}
