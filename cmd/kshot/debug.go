package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/model"
)

func cmdTokenize(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("tokenize", stderr)
	dir := fs.String("model", "", "the model `DIR` whose tokenizer files are used (vocab.json and merges.txt, or tokenizer.json)")
	jsonl := fs.Bool("jsonl", false, "input format: each input line is a JSON string; print one JSON array of ids per line")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return usageError{"--model DIR is required (a model directory with tokenizer files); see kshot tokenize -h"}
	}
	tok, err := model.LoadTokenizer(*dir)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	if !*jsonl {
		text, err := io.ReadAll(stdin)
		if err != nil {
			return err
		}
		return writeJSONLine(out, tok.Encode(string(text)))
	}
	return eachLine(stdin, func(n int, line []byte) error {
		var s string
		if err := json.Unmarshal(line, &s); err != nil {
			return fmt.Errorf("stdin line %d: want a JSON string: %v", n, err)
		}
		return writeJSONLine(out, tok.Encode(s))
	})
}

func cmdLogprobs(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("logprobs", stderr)
	dir := fs.String("model", "", "the model `DIR` (config.json, model.safetensors; tokenizer files only for {\"text\": ...} input)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return usageError{"--model DIR is required (a model directory in Hugging Face layout); see kshot logprobs -h"}
	}
	cfg, w, err := model.Load(*dir)
	if err != nil {
		return err
	}
	dec, err := model.NewDecoder(cfg, w)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(*dir, "config.json"), err)
	}
	// The tokenizer is loaded at the first {"text": ...} line: token ids
	// need none.
	var tok model.Tokenizer
	var tokErr error
	loadTok := func() (model.Tokenizer, error) {
		if tok == nil && tokErr == nil {
			tok, tokErr = model.LoadTokenizer(*dir)
		}
		return tok, tokErr
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	return eachLine(stdin, func(n int, line []byte) error {
		var in struct {
			IDs  []int   `json:"ids"`
			Text *string `json:"text"`
		}
		if err := json.Unmarshal(line, &in); err != nil {
			return fmt.Errorf("stdin line %d: want {\"ids\":[...]} or {\"text\":\"...\"}: %v", n, err)
		}
		ids := in.IDs
		if in.Text != nil {
			t, err := loadTok()
			if err != nil {
				return fmt.Errorf("stdin line %d: {\"text\": ...} needs the model's tokenizer: %w (give {\"ids\": [...]} instead)", n, err)
			}
			ids = t.Encode(*in.Text)
		}
		if len(ids) == 0 {
			return fmt.Errorf("stdin line %d: no tokens", n)
		}
		res := struct {
			IDs     []int     `json:"ids"`
			LogP    []float64 `json:"token_logprobs"`
			Argmax  []int     `json:"argmax"`
			SumLogP float64   `json:"sum_logprob"`
		}{IDs: ids, LogP: []float64{}}
		lp, am, err := dec.TokenLogprobs(context.Background(), ids)
		if err != nil {
			return fmt.Errorf("stdin line %d: %w", n, err)
		}
		res.LogP, res.Argmax = lp, am
		for _, x := range lp {
			res.SumLogP += x
		}
		return writeJSONLine(out, res)
	})
}

var _ eval.TokenScorer = (*model.Decoder)(nil)

func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// eachLine calls f for every non-empty line of r (1-based numbers).
func eachLine(r io.Reader, f func(n int, line []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	n := 0
	for sc.Scan() {
		n++
		if len(sc.Bytes()) == 0 {
			continue
		}
		if err := f(n, sc.Bytes()); err != nil {
			return err
		}
	}
	return sc.Err()
}
