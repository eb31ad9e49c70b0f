package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestLoad sends a bounded number of scoring and generation requests from
// 1, 2 and 4 concurrent clients and checks that every request is answered
// exactly once, with its own prompt, and that the server counted each
// once. Throughput is logged, not asserted.
func TestLoad(t *testing.T) {
	dec, tok, _ := openFixture(t, "gpt2-tiny")
	srv, url := start(t, dec, tok, Options{Name: "tiny"})
	const perClient = 12
	for _, clients := range []int{1, 2, 4} {
		t.Run(fmt.Sprint(clients, "clients"), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			before := srv.Stats()
			var mu sync.Mutex
			seenIDs := map[string]string{} // response id → request
			answered := map[string]int{}   // request → answers
			tokens := 0
			var wg sync.WaitGroup
			begin := time.Now()
			for c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for k := range perClient {
						req := fmt.Sprintf("request %d-%d: the quick brown fox jumps over the lazy dog", c, k)
						body := map[string]any{"model": "tiny", "prompt": req, "echo": true, "max_tokens": 0, "logprobs": 1}
						if k%4 == 3 {
							body = map[string]any{"model": "tiny", "prompt": req, "echo": true, "max_tokens": 4, "logprobs": 0}
						}
						r, err := send(ctx, url, body)
						mu.Lock()
						if err != nil {
							t.Errorf("%s: %v", req, err)
						} else {
							answered[req]++
							if prev, dup := seenIDs[r.ID]; dup {
								t.Errorf("response id %s answers both %q and %q", r.ID, prev, req)
							}
							seenIDs[r.ID] = req
							if got := r.Choices[0].Text; len(got) < len(req) || got[:len(req)] != req {
								t.Errorf("%s: answered with text %q", req, got)
							}
							tokens += r.Usage.TotalTokens
						}
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(begin)
			total := clients * perClient
			if len(answered) != total {
				t.Errorf("%d distinct requests answered, want %d", len(answered), total)
			}
			for req, n := range answered {
				if n != 1 {
					t.Errorf("%s answered %d times", req, n)
				}
			}
			after := srv.Stats()
			if got := after.Requests - before.Requests; got != int64(total) {
				t.Errorf("server counted %d requests, want %d", got, total)
			}
			t.Logf("%d clients: %d requests in %.2fs: %.1f requests/s, %.0f tokens/s, %d decoder batches (%.1f requests per batch)",
				clients, total, elapsed.Seconds(), float64(total)/elapsed.Seconds(), float64(tokens)/elapsed.Seconds(),
				after.Batches-before.Batches, float64(total)/float64(after.Batches-before.Batches))
		})
	}
}

func send(ctx context.Context, url string, body any) (*completionResponse, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/completions", bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, out)
	}
	var r completionResponse
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
