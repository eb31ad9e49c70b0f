package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/model/apilm"
)

// cmdProbe is `kshot probe [flags] api:URL`: the conformance probe that
// kshot run makes before the first request, on its own.
func cmdProbe(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("probe", stderr)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	var a apiFlags
	a.register(fs)
	// The URL may come before or after the flags.
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	var spec string
	if len(pos) > 1 {
		return usageError{fmt.Sprintf("unexpected argument %q; see kshot probe -h", pos[1])}
	}
	if len(pos) == 1 {
		spec = pos[0]
	}
	if !isAPIModel(spec) {
		return usageError{fmt.Sprintf("kshot probe needs the server as api:URL, e.g. kshot probe api:http://127.0.0.1:8080/v1 (got %q)", spec)}
	}
	cfg, err := apiConfig(spec, &a)
	if err != nil {
		return err
	}
	r, err := apilm.Probe(context.Background(), cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return writeProbe(stdout, r)
}

// writeProbe prints a probe report as a two-column table, then what runs
// and the notes.
func writeProbe(w io.Writer, r *apilm.Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	window := "unknown"
	if r.Window > 0 {
		window = fmt.Sprintf("%d tokens (%s)", r.Window, r.WindowSource)
	}
	tokens := fmt.Sprintf("%d for the probe text", r.ProbeTokenCount)
	if r.Tokenize {
		tokens += " (POST /tokenize)"
	}
	rows := [][2]string{
		{"endpoint", r.Endpoint}, {"server", r.Server}, {"model", r.Model}, {"models listed", strings.Join(r.Models, ", ")},
		{"window", window}, {"prompt log-probs (echo)", yesNo(r.PromptLogprobs)}, {"max_tokens 0", r.MaxTokensZero},
		{"log-probs format", r.LogprobsFormat}, {"stop strings", r.Stop}, {"completions", yesNo(r.Completions)},
		{"chat completions", yesNo(r.Chat)}, {"tokens", tokens}, {"fingerprint", r.Fingerprint},
	}
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", row[0], row[1])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, k := range []struct {
		name string
		req  eval.Request
	}{{"loglikelihood and multiple-choice tasks", eval.Loglikelihood{}}, {"perplexity (rolling) tasks", eval.Rolling{}}, {"generation tasks", eval.Generate{}}} {
		if err := r.Refusal(k.req); err != nil {
			fmt.Fprintf(w, "%s: cannot run: %v\n", k.name, err)
		} else {
			fmt.Fprintf(w, "%s: run\n", k.name)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
