package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

func TestServeFlags(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{nil, "--model is required"},
		{[]string{"--model", "x", "--max-batch", "0"}, "--max-batch 0"},
		{[]string{"--model", "x", "--queue", "0"}, "--queue 0"},
		{[]string{"--model", "x", "--max-body", "10"}, "--max-body 10"},
		{[]string{"--model", "x", "extra"}, "unexpected argument"},
	}
	for _, c := range cases {
		err := runServe(context.Background(), c.args, io.Discard, nil)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want a usage error mentioning %q", c.args, err, c.want)
		}
	}
}

// TestServeCommand starts `kshot serve` on a free port, asks /v1/models
// and stops it by cancelling its context.
func TestServeCommand(t *testing.T) {
	dir := sharedtest.Path(t, "fixtures/models/gpt2-tiny")
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, []string{"--model", dir, "--addr", "127.0.0.1:0", "--name", "tiny"}, io.Discard, func(a string) { addrs <- a })
	}()
	var addr string
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("serve stopped: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	resp, err := http.Get("http://" + addr + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Data []struct {
			ID          string `json:"id"`
			MaxModelLen int    `json:"max_model_len"`
			Fingerprint string `json:"kshot_fingerprint"`
		}
	}
	err = json.NewDecoder(resp.Body).Decode(&v)
	resp.Body.Close()
	if err != nil || len(v.Data) != 1 || v.Data[0].ID != "tiny" || v.Data[0].MaxModelLen != 64 || v.Data[0].Fingerprint == "" {
		t.Errorf("models: %+v %v", v, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}
