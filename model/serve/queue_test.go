package serve

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kshot-eval/kshot/eval"
)

// byteTok is a tokenizer with one token per byte and end-of-text 256.
type byteTok struct{}

func (byteTok) Encode(s string) []int {
	out := make([]int, len(s))
	for i := range len(s) {
		out[i] = int(s[i])
	}
	return out
}

func (byteTok) Decode(ids []int) string {
	b := make([]byte, 0, len(ids))
	for _, id := range ids {
		if id == 256 {
			b = append(b, "<|endoftext|>"...)
		} else {
			b = append(b, byte(id))
		}
	}
	return string(b)
}

func (byteTok) VocabSize() int { return 257 }
func (byteTok) EOT() int       { return 256 }

// gateModel scores every token with log-probability -1 (greedy) and
// generates "x"; while gate is set, each call first announces itself on
// entered and waits for gate to be closed. A sequence holding token 'F'
// fails.
type gateModel struct {
	mu      sync.Mutex
	gate    chan struct{}
	entered chan struct{}
	calls   int
}

func (g *gateModel) wait(ctx context.Context) error {
	g.mu.Lock()
	g.calls++
	gate, entered := g.gate, g.entered
	g.mu.Unlock()
	if gate == nil {
		return nil
	}
	entered <- struct{}{}
	select {
	case <-gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *gateModel) MaxLength() int { return 100 }

func (g *gateModel) Score(ctx context.Context, seqs []eval.TokenSeq) ([]eval.TokenScores, error) {
	if err := g.wait(ctx); err != nil {
		return nil, err
	}
	out := make([]eval.TokenScores, len(seqs))
	for i, s := range seqs {
		for _, t := range s.Tokens {
			if t == 'F' {
				return nil, errors.New("token F cannot be scored")
			}
		}
		n := len(s.Tokens) - s.From
		out[i] = eval.TokenScores{LogProbs: make([]float64, n), Greedy: make([]bool, n)}
		for j := range n {
			out[i].LogProbs[j], out[i].Greedy[j] = -1, true
		}
	}
	return out, nil
}

func (g *gateModel) Generate(ctx context.Context, reqs []eval.TokenGenerate, stop func(int, []int) bool) ([][]int, error) {
	if err := g.wait(ctx); err != nil {
		return nil, err
	}
	out := make([][]int, len(reqs))
	for i, r := range reqs {
		for len(out[i]) < r.MaxNew {
			out[i] = append(out[i], 'x')
			if stop(i, out[i]) {
				break
			}
		}
	}
	return out, nil
}

func (g *gateModel) TokenLogprobs(ctx context.Context, ids []int) ([]float64, []int, error) {
	return nil, nil, errors.New("not used: every token is greedy")
}

// TestQueueFull checks that with one batch running and the queue full,
// the next request gets 503, and that the queued ones are answered once
// the decoder is free, in one batch.
func TestQueueFull(t *testing.T) {
	g := &gateModel{gate: make(chan struct{}), entered: make(chan struct{}, 10)}
	srv, url := start(t, g, byteTok{}, Options{MaxBatch: 4, QueueSize: 2, BatchWindow: time.Millisecond})
	codes := make(chan int, 4)
	send := func() {
		code, _ := post(t, url, map[string]any{"prompt": "ab", "max_tokens": 1})
		codes <- code
	}
	go send()
	<-g.entered // the first request is in the decoder
	go send()
	go send()
	deadline := time.Now().Add(5 * time.Second)
	for len(srv.queue) < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if code, data := post(t, url, map[string]any{"prompt": "ab", "max_tokens": 1}); code != http.StatusServiceUnavailable || !strings.Contains(string(data), "queue is full") {
		t.Errorf("fourth request: %d %s, want 503 queue is full", code, data)
	}
	close(g.gate)
	g.mu.Lock()
	g.gate = nil
	g.mu.Unlock()
	for range 3 {
		if code := <-codes; code != 200 {
			t.Errorf("queued request: %d, want 200", code)
		}
	}
	st := srv.Stats()
	if st.Requests != 3 || st.Rejected != 1 || st.Batches != 2 {
		t.Errorf("stats %+v, want 3 answered, 1 rejected, 2 batches", st)
	}
}

// TestFailureIsolated checks that a request the model cannot compute
// fails alone: the others of its batch are answered.
func TestFailureIsolated(t *testing.T) {
	g := &gateModel{}
	_, url := start(t, g, byteTok{}, Options{BatchWindow: 100 * time.Millisecond})
	var wg sync.WaitGroup
	got := map[string]int{}
	var mu sync.Mutex
	for _, p := range []string{"abc", "aFc", "xyz"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, _ := post(t, url, map[string]any{"prompt": p, "max_tokens": 0, "echo": true, "logprobs": 1})
			mu.Lock()
			got[p] = code
			mu.Unlock()
		}()
	}
	wg.Wait()
	if got["abc"] != 200 || got["xyz"] != 200 || got["aFc"] != 500 {
		t.Errorf("codes %v, want abc and xyz 200, aFc 500", got)
	}
}

// TestGracefulShutdown checks that cancelling Serve's context lets the
// request in flight finish with 200, then closes the listener.
func TestGracefulShutdown(t *testing.T) {
	g := &gateModel{gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	srv, err := New(g, byteTok{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String()
	code := make(chan int, 1)
	go func() {
		c, _ := post(t, url, map[string]any{"prompt": "hello", "max_tokens": 2, "stop": "x"})
		code <- c
	}()
	<-g.entered
	cancel()
	time.Sleep(20 * time.Millisecond) // Shutdown is waiting for the request
	close(g.gate)
	if c := <-code; c != 200 {
		t.Errorf("request in flight at shutdown: %d, want 200", c)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context was cancelled")
	}
	if _, err := http.Get(url + "/health"); err == nil {
		t.Error("the listener still answers after shutdown")
	}
}

// TestStopWithByteTokens checks the stop rule and finish reasons on a
// model that always generates "x".
func TestStopWithByteTokens(t *testing.T) {
	_, url := start(t, &gateModel{}, byteTok{}, Options{})
	cases := []struct {
		stop   any
		max    int
		text   string
		reason string
	}{
		{nil, 3, "xxx", "length"},
		{"xx", 5, "", "stop"},
		{[]string{"y", "xxx"}, 5, "", "stop"},
		{"y", 4, "xxxx", "length"},
	}
	for _, c := range cases {
		r := complete(t, url, map[string]any{"prompt": "a", "max_tokens": c.max, "stop": c.stop, "logprobs": 0})
		ch := r.Choices[0]
		if ch.Text != c.text || ch.FinishReason != c.reason {
			t.Errorf("stop %v, max %d: %q %s, want %q %s", c.stop, c.max, ch.Text, ch.FinishReason, c.text, c.reason)
		}
		if len(ch.Logprobs.Tokens) != len(c.text) {
			t.Errorf("stop %v: %d tokens for %q", c.stop, len(ch.Logprobs.Tokens), c.text)
		}
	}
}
