package hub

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestHubHelperProcess is not a test: TestHubTwoProcesses runs the test
// binary again with KSHOT_HUB_HELPER=1 to get a second, independent
// process downloading through FromEnv.
func TestHubHelperProcess(t *testing.T) {
	if os.Getenv("KSHOT_HUB_HELPER") != "1" {
		t.Skip("helper process for TestHubTwoProcesses")
	}
	h, err := FromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	dir, err := modelDir(context.Background(), h, "tiny/gpt2")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	fmt.Println("DIR", dir)
	os.Exit(0)
}

// TestHubTwoProcesses runs two processes downloading the same model into
// one cache at once. The fake Hub holds back the body of model.safetensors
// until one process reports that it waits for the other's lock, so the
// race is forced every time: exactly one download must happen, and both
// processes must end with the same, correct snapshot.
func TestHubTwoProcesses(t *testing.T) {
	if os.Getenv("KSHOT_HUB_HELPER") == "1" {
		t.Skip("inside a helper process")
	}
	f := newFakeHub(t)
	files := tinyModelFiles(t)
	f.addRepo("model", "tiny/gpt2", files)
	waiting := make(chan struct{})
	var once sync.Once
	f.set(func() {
		f.gate = func(etag string) {
			if etag != tinySafetensorsSHA256 {
				return
			}
			select {
			case <-waiting:
			case <-time.After(30 * time.Second):
				t.Error("no process ever waited for the lock")
			}
		}
	})
	cache := filepath.Join(t.TempDir(), "hub")
	type result struct {
		stdout, stderr string
		err            error
	}
	results := make([]result, 2)
	var wg sync.WaitGroup
	for i := range results {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHubHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), "KSHOT_HUB_HELPER=1", "HF_ENDPOINT="+f.srv.URL, "HF_HUB_CACHE="+cache,
			"HF_HOME="+t.TempDir(), "HF_TOKEN=", "HUGGING_FACE_HUB_TOKEN=", "HF_HUB_OFFLINE=", "TRANSFORMERS_OFFLINE=",
			"HF_HUB_DISABLE_PROGRESS_BARS=")
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		pipe, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var stderr strings.Builder
			sc := bufio.NewScanner(pipe)
			for sc.Scan() {
				line := sc.Text()
				stderr.WriteString(line + "\n")
				if strings.Contains(line, "waiting for another process downloading model tiny/gpt2 model.safetensors") {
					once.Do(func() { close(waiting) })
				}
			}
			err := cmd.Wait()
			results[i] = result{stdout.String(), stderr.String(), err}
		}()
	}
	wg.Wait()
	var dirs []string
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("process %d: %v\nstdout:\n%s\nstderr:\n%s", i, r.err, r.stdout, r.stderr)
		}
		for _, line := range strings.Split(r.stdout, "\n") {
			if d, ok := strings.CutPrefix(line, "DIR "); ok {
				dirs = append(dirs, d)
			}
		}
	}
	if len(dirs) != 2 || dirs[0] != dirs[1] {
		t.Fatalf("snapshot dirs %q, want the same one twice", dirs)
	}
	sameFiles(t, dirs[0], files, "config.json", "model.safetensors", "tokenizer.json", "vocab.json")
	if n := f.count("GET cdn/" + tinySafetensorsSHA256); n != 1 {
		t.Errorf("model.safetensors was downloaded %d times, want once", n)
	}
	waited := 0
	for _, r := range results {
		if strings.Contains(r.stderr, "waiting for another process downloading model tiny/gpt2 model.safetensors") {
			waited++
		}
	}
	if waited != 1 {
		t.Errorf("%d processes waited for the lock, want 1", waited)
	}
}
