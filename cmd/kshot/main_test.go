package main

import (
	"fmt"
	"os"
	"testing"
)

// TestMain keeps the tests away from the user's caches: the request cache
// ($XDG_CACHE_HOME/kshot) and the Hugging Face cache live in a temporary
// directory, and the Hub is offline, so every test computes what it checks.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kshot-test-cache")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("XDG_CACHE_HOME", dir)
	os.Setenv("HF_HOME", dir+"/huggingface")
	os.Setenv("HF_HUB_OFFLINE", "1")
	code := m.Run()
	os.RemoveAll(dir)
	if kshotBuild.dir != "" {
		os.RemoveAll(kshotBuild.dir)
	}
	os.Exit(code)
}
