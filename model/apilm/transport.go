package apilm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrNoPromptLogprobs is wrapped by the error of a loglikelihood or
// rolling request sent to a server that returns no log-probabilities for
// the prompt's tokens (chat-only APIs, servers without echo).
var ErrNoPromptLogprobs = errors.New("the server returns no log-probabilities for prompt tokens (echo with logprobs): " +
	"loglikelihood and perplexity tasks cannot run on it; generation tasks can")

// ErrTokenizerMismatch is wrapped by the error of a request whose tokens,
// as the server split them, do not match the context/continuation
// boundary or the configured tokenizer.
var ErrTokenizerMismatch = errors.New("tokenizer mismatch")

// RequestError is a request that failed: the endpoint that answered last,
// which request it was, and why.
type RequestError struct {
	Endpoint string // base URL
	Request  string // the request kind, its index in the batch and a short quote
	Attempts int    // HTTP attempts made
	Err      error
}

func (e *RequestError) Error() string {
	s := fmt.Sprintf("apilm: endpoint %s, %s: %v", e.Endpoint, e.Request, e.Err)
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	return s
}

func (e *RequestError) Unwrap() error { return e.Err }

// StatusError is an HTTP answer other than 200.
type StatusError struct {
	Code       int
	Message    string        // the server's error message (OpenAI's error.message, or the body's start)
	RetryAfter time.Duration // from a Retry-After header, 0 when absent
}

func (e *StatusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Code, e.Message) }

// completion is the part of a completions answer the LM reads.
type completion struct {
	Choices []struct {
		Index    int       `json:"index"`
		Text     string    `json:"text"`
		Logprobs *logprobs `json:"logprobs"`
		Message  *struct {
			Content string `json:"content"`
		} `json:"message"` // chat answers
	} `json:"choices"`
	Usage *struct {
		TotalTokens int64 `json:"total_tokens"`
	} `json:"usage"`
}

type logprobs struct {
	Tokens        []string             `json:"tokens"`
	TokenLogprobs []*float64           `json:"token_logprobs"`
	TopLogprobs   []map[string]float64 `json:"top_logprobs"`
	TextOffset    []int                `json:"text_offset"`
}

// completionRequest is the body the LM sends.
type completionRequest struct {
	Model       string   `json:"model"`
	Prompt      any      `json:"prompt"` // string or []int
	MaxTokens   int      `json:"max_tokens"`
	Temperature float64  `json:"temperature"`
	TopP        *float64 `json:"top_p,omitempty"` // sampling only
	TopK        int      `json:"top_k,omitempty"` // sampling with a top-k cut (vLLM, llama.cpp)
	Seed        *int64   `json:"seed,omitempty"`  // sampling only
	Echo        bool     `json:"echo,omitempty"`
	Logprobs    *int     `json:"logprobs,omitempty"`
	Stop        []string `json:"stop,omitempty"`
}

// job is one HTTP request to make.
type job struct {
	desc string // names the request in errors
	body []byte
	chat bool // sent to /chat/completions instead of /completions
}

// answer is a successful response and the endpoint that gave it.
type answer struct {
	endpoint string
	c        *completion
}

// parseCompletion decodes a completions answer.
func parseCompletion(body []byte) (*completion, error) {
	var c completion
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, fmt.Errorf("the answer is not valid completions JSON: %v (it starts %q)", err, quoteStart(body))
	}
	if len(c.Choices) == 0 {
		return nil, fmt.Errorf("the answer has no choices (it starts %q)", quoteStart(body))
	}
	return &c, nil
}

func quoteStart(b []byte) string {
	if len(b) > 120 {
		return string(b[:120]) + "…"
	}
	return string(b)
}

// errorMessage extracts OpenAI's error.message from an error body, or
// returns the body's start.
func errorMessage(body []byte) string {
	var e struct {
		Error json.RawMessage `json:"error"`
		// TGI and some proxies put the message at the top level.
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil {
		var obj struct {
			Message string `json:"message"`
		}
		var str string
		switch {
		case json.Unmarshal(e.Error, &obj) == nil && obj.Message != "":
			return obj.Message
		case json.Unmarshal(e.Error, &str) == nil && str != "":
			return str
		case e.Message != "":
			return e.Message
		}
	}
	s := strings.TrimSpace(quoteStart(body))
	if s == "" {
		return "(empty body)"
	}
	return s
}

// cleanErr drops net/http's `Post "URL": ` prefix (the endpoint is named
// by the caller).
func cleanErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// transportError is a failure below HTTP: refused connection, reset,
// timeout.
type transportError struct {
	err  error
	dial bool // the connection could not be made
}

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// retryable reports whether a failed attempt may succeed if repeated.
func retryable(err error) bool {
	var te *transportError
	if errors.As(err, &te) {
		return true
	}
	var se *StatusError
	return errors.As(err, &se) && (se.Code == http.StatusTooManyRequests || se.Code >= 500)
}

// post sends one request to ep.
func (m *LM) post(ctx context.Context, ep *endpoint, j job) (*completion, error) {
	path := "/completions"
	if j.chat {
		path = "/chat/completions"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.base+path, bytes.NewReader(j.body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	m.authorize(req)
	resp, err := m.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var oe *net.OpError
		return nil, &transportError{err: cleanErr(err), dial: errors.As(err, &oe) && oe.Op == "dial"}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &transportError{err: fmt.Errorf("reading the answer: %w", cleanErr(err))}
	}
	if resp.StatusCode != http.StatusOK {
		se := &StatusError{Code: resp.StatusCode, Message: errorMessage(data)}
		if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s > 0 {
			se.RetryAfter = time.Duration(s) * time.Second
		}
		return nil, se
	}
	c, err := parseCompletion(data)
	if err != nil {
		return nil, err
	}
	if c.Usage != nil {
		m.tokens.Add(c.Usage.TotalTokens)
	}
	return c, nil
}

// backoff is the wait before retry number attempt (1, 2, …).
func (m *LM) backoff(attempt int, err error) time.Duration {
	var se *StatusError
	if errors.As(err, &se) && se.RetryAfter > 0 {
		return min(se.RetryAfter, 60*time.Second)
	}
	d := m.cfg.Backoff
	for i := 1; i < attempt && d < 30*time.Second; i++ {
		d *= 2
	}
	return min(d, 30*time.Second)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// do sends every job, spread over the endpoints with at most
// Concurrency in flight on each, retrying what may succeed later, and
// returns the answers in order. The first definitive failure cancels the
// rest and is returned as a *RequestError.
func (m *LM) do(ctx context.Context, jobs []job) ([]answer, error) {
	if len(jobs) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make([]answer, len(jobs))
	attempts := make([]int, len(jobs)) // touched only by the worker holding the job
	lastErr := make([]error, len(jobs))
	queue := make(chan int, len(jobs)) // room for every job: a requeue never blocks
	for i := range jobs {
		queue <- i
	}
	var remaining atomic.Int64
	remaining.Store(int64(len(jobs)))
	allDone := make(chan struct{})
	var failOnce sync.Once
	var failure error
	fail := func(err error) {
		failOnce.Do(func() { failure = err; cancel() })
	}
	worker := func(ep *endpoint) {
		for {
			if wait := time.Until(time.Unix(0, ep.downUntil.Load())); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-allDone:
					t.Stop()
					return
				case <-t.C:
				}
			}
			var i int
			select {
			case <-ctx.Done():
				return
			case <-allDone:
				return
			case i = <-queue:
			}
			if attempts[i] > 0 {
				if sleep(ctx, m.backoff(attempts[i], lastErr[i])) != nil {
					return
				}
			}
			attempts[i]++
			c, err := m.post(ctx, ep, jobs[i])
			if err == nil {
				out[i] = answer{endpoint: ep.base, c: c}
				if remaining.Add(-1) == 0 {
					close(allDone)
				}
				continue
			}
			if ctx.Err() != nil {
				return
			}
			if retryable(err) && attempts[i] <= m.cfg.Retries {
				var te *transportError
				if errors.As(err, &te) && te.dial {
					ep.downUntil.Store(time.Now().Add(m.backoff(attempts[i], err)).UnixNano())
				}
				lastErr[i] = err
				queue <- i
				continue
			}
			fail(&RequestError{Endpoint: ep.base, Request: jobs[i].desc, Attempts: attempts[i], Err: err})
			return
		}
	}
	var wg sync.WaitGroup
	for _, ep := range m.eps {
		for range min(m.cfg.Concurrency, len(jobs)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				worker(ep)
			}()
		}
	}
	wg.Wait()
	if failure != nil {
		return nil, failure
	}
	if remaining.Load() != 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		panic("apilm: workers stopped with requests unanswered")
	}
	return out, nil
}
