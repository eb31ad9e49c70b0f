package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kshot-eval/kshot/internal/kernels"
	"github.com/kshot-eval/kshot/model"
	"github.com/kshot-eval/kshot/model/serve"
)

func cmdServe(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runServe(ctx, args, stderr, nil)
}

// runServe is `kshot serve` until ctx is cancelled; ready, when set, gets
// the address listened on.
func runServe(ctx context.Context, args []string, stderr io.Writer, ready func(addr string)) error {
	fs := newFlagSet("serve", stderr)
	dir := fs.String("model", "", "model directory in Hugging Face layout (config.json, model.safetensors, tokenizer files)")
	addr := fs.String("addr", "127.0.0.1:8080", "host:port to listen on (0.0.0.0:8080 accepts other machines; port 0 picks a free one)")
	name := fs.String("name", "", "model id clients send as \"model\" (default: the model directory's name)")
	maxBatch := fs.Int("max-batch", 16, "concurrent requests run together as one decoder batch")
	window := fs.Duration("batch-window", 2*time.Millisecond, "how long to wait for more requests after the first of a batch")
	queue := fs.Int("queue", 64, "requests waiting for the decoder; more are refused with 503")
	maxBody := fs.Int64("max-body", 1<<20, "request body limit in bytes; larger bodies are refused with 413")
	threads := fs.Int("threads", 0, "compute threads (0: all cores; results do not depend on it)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *dir == "":
		return usageError{"--model is required (a checkpoint directory with config.json and model.safetensors)"}
	case *maxBatch < 1:
		return usageError{fmt.Sprintf("--max-batch %d must be at least 1", *maxBatch)}
	case *window <= 0:
		return usageError{fmt.Sprintf("--batch-window %v must be positive", *window)}
	case *queue < 1:
		return usageError{fmt.Sprintf("--queue %d must be at least 1", *queue)}
	case *maxBody < 1024:
		return usageError{fmt.Sprintf("--max-body %d is below 1024 bytes", *maxBody)}
	case *threads < 0:
		return usageError{fmt.Sprintf("--threads %d is negative", *threads)}
	}
	if *threads > 0 {
		kernels.SetThreads(*threads)
	}
	lm, dec, tok, err := model.Open(*dir)
	if err != nil {
		return err
	}
	info := lm.Info()
	if *name == "" {
		*name = info.Name
	}
	tmpl, err := chatTemplate(*dir)
	if err != nil {
		return err
	}
	srv, err := serve.New(dec, tok, serve.Options{Name: *name, MaxBatch: *maxBatch, BatchWindow: *window, QueueSize: *queue,
		MaxBodyBytes: *maxBody, Fingerprint: info.Fingerprint, Parameters: info.Parameters, Log: stderr, ChatTemplate: tmpl})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		srv.Close()
		return fmt.Errorf("--addr %s: %w", *addr, err)
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	return srv.Serve(ctx, ln)
}

// chatTemplate returns the chat_template of dir's tokenizer_config.json
// (a string, or its JSON when it is a list of named templates), "" when
// the file or the key is absent.
func chatTemplate(dir string) (string, error) {
	path := filepath.Join(dir, "tokenizer_config.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var cfg struct {
		ChatTemplate json.RawMessage `json:"chat_template"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return "", fmt.Errorf("%s: %v (fix or remove the file)", path, err)
	}
	raw := strings.TrimSpace(string(cfg.ChatTemplate))
	if raw == "" || raw == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(cfg.ChatTemplate, &s) == nil {
		return s, nil
	}
	return raw, nil
}
