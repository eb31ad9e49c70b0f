package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/model"
)

// Model is what the server needs of a decoder; *model.Decoder implements
// it.
type Model interface {
	eval.TokenScorer
	// TokenLogprobs scores one sequence of at most MaxLength() tokens at
	// every position: logprobs[t] = log p(ids[t+1] | ids[..t]) and
	// argmax[t] the most likely token after ids[..t].
	TokenLogprobs(ctx context.Context, ids []int) (logprobs []float64, argmax []int, err error)
}

// ArgmaxLogprober is implemented by models that can also report the
// log-probability (natural log) of the most likely token after every
// prefix ids[..t], t < len(ids) ≤ MaxLength(). Without it the server
// finds that value for a prompt token that was not the most likely one by
// scoring the most likely token after the prefix, which costs one forward
// pass over the prefix per such position.
type ArgmaxLogprober interface {
	ArgmaxLogprobs(ctx context.Context, ids []int) (argmax []int, logprobs []float64, err error)
}

// Options configure a Server. Zero values take the defaults given.
type Options struct {
	Name            string        // model id in /v1/models and requests (default "kshot")
	MaxBatch        int           // requests run as one decoder batch (default 16)
	BatchWindow     time.Duration // wait for more requests after the first (default 2ms)
	QueueSize       int           // requests waiting for the decoder; beyond: 503 (default 64)
	MaxBodyBytes    int64         // request body limit, bytes; beyond: 413 (default 1 MiB)
	MaxPrompts      int           // prompts in one request (default 64)
	ShutdownTimeout time.Duration // grace for requests in flight at shutdown (default 30s)
	Fingerprint     string        // kshot's fingerprint of the checkpoint, for /v1/models
	Parameters      int64         // number of parameters, for /v1/models
	Log             io.Writer     // one line per server event (nil: none)
	// ChatTemplate is the checkpoint's chat template (tokenizer_config.json
	// chat_template), "" when it has none. kshot serve renders no Jinja:
	// with a template, /v1/chat/completions refuses requests rather than
	// render them otherwise; without one it uses the plain rendering
	// (see RenderChat).
	ChatTemplate string
}

// Stats count what a Server has done since it started.
type Stats struct {
	Requests int64 // completions and chat requests answered with 200
	Prompts  int64 // prompts in those requests
	Batches  int64 // decoder batches run
	Rejected int64 // requests refused with 503 because the queue was full
}

// Server answers the completions API with a decoder. It is safe for
// concurrent use; Close (or the end of Serve) stops its batcher.
type Server struct {
	m       Model
	tok     model.Tokenizer
	opt     Options
	queue   chan *work
	quit    chan struct{}
	done    chan struct{}
	closing sync.Once
	created int64
	ids     atomic.Int64
	stats   struct{ requests, prompts, batches, rejected atomic.Int64 }
	ctx     context.Context // the decoder's context, cancelled by Close
	cancel  context.CancelFunc
}

// New returns a server for m with tokenizer tok and starts its batcher.
func New(m Model, tok model.Tokenizer, opt Options) (*Server, error) {
	if m == nil || tok == nil {
		return nil, errors.New("serve: a model and a tokenizer are required")
	}
	if opt.Name == "" {
		opt.Name = "kshot"
	}
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 16
	}
	if opt.BatchWindow <= 0 {
		opt.BatchWindow = 2 * time.Millisecond
	}
	if opt.QueueSize <= 0 {
		opt.QueueSize = 64
	}
	if opt.MaxBodyBytes <= 0 {
		opt.MaxBodyBytes = 1 << 20
	}
	if opt.MaxPrompts <= 0 {
		opt.MaxPrompts = 64
	}
	if opt.ShutdownTimeout <= 0 {
		opt.ShutdownTimeout = 30 * time.Second
	}
	s := &Server{m: m, tok: tok, opt: opt, queue: make(chan *work, opt.QueueSize),
		quit: make(chan struct{}), done: make(chan struct{}), created: time.Now().Unix()}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	go s.loop()
	return s, nil
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	return Stats{Requests: s.stats.requests.Load(), Prompts: s.stats.prompts.Load(),
		Batches: s.stats.batches.Load(), Rejected: s.stats.rejected.Load()}
}

// Close stops the batcher: queued requests are answered 503 and new ones
// are refused. Requests already in a running batch finish first.
func (s *Server) Close() {
	s.closing.Do(func() { close(s.quit) })
	<-s.done
	s.cancel()
}

func (s *Server) closed() bool {
	select {
	case <-s.quit:
		return true
	default:
		return false
	}
}

// Handler returns the HTTP handler of the API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/completions", s.completions)
	mux.HandleFunc("POST /v1/chat/completions", s.chatCompletions)
	mux.HandleFunc("GET /v1/models", s.models)
	mux.HandleFunc("GET /v1/models/{id...}", s.model)
	mux.HandleFunc("GET /health", s.health)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &requestError{status: 404, typ: "invalid_request_error",
			msg: fmt.Sprintf("%s %s: not found (kshot serve answers POST /v1/completions, POST /v1/chat/completions, GET /v1/models, GET /v1/models/{id} and GET /health)", r.Method, r.URL.Path)})
	})
	return mux
}

// Serve answers requests on ln until ctx is cancelled, then stops
// accepting connections, lets requests in flight finish (at most
// Options.ShutdownTimeout) and closes the server.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.logf("kshot serve: %s on http://%s/v1", s.opt.Name, ln.Addr())
	select {
	case err := <-errc:
		s.Close()
		return err
	case <-ctx.Done():
	}
	s.logf("kshot serve: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), s.opt.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	s.Close()
	if err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	return nil
}

func (s *Server) logf(format string, args ...any) {
	if s.opt.Log != nil {
		fmt.Fprintf(s.opt.Log, format+"\n", args...)
	}
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if s.closed() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "shutting down"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "queued": len(s.queue)})
}

// modelCard is one entry of /v1/models; the kshot_ fields are kshot's
// extensions, max_model_len is vLLM's.
type modelCard struct {
	ID          string `json:"id"`
	Object      string `json:"object"`
	Created     int64  `json:"created"`
	OwnedBy     string `json:"owned_by"`
	MaxModelLen int    `json:"max_model_len"`
	Fingerprint string `json:"kshot_fingerprint,omitempty"`
	Parameters  int64  `json:"kshot_parameters,omitempty"`
}

func (s *Server) card() modelCard {
	return modelCard{ID: s.opt.Name, Object: "model", Created: s.created, OwnedBy: "kshot",
		MaxModelLen: s.m.MaxLength(), Fingerprint: s.opt.Fingerprint, Parameters: s.opt.Parameters}
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []modelCard{s.card()}})
}

// model answers GET /v1/models/{id} (OpenAI's models.retrieve).
func (s *Server) model(w http.ResponseWriter, r *http.Request) {
	if id := r.PathValue("id"); id != s.opt.Name {
		writeError(w, modelNotFound(id, s.opt.Name))
		return
	}
	writeJSON(w, http.StatusOK, s.card())
}

func (s *Server) completions(w http.ResponseWriter, r *http.Request) {
	wk := s.serveRequest(w, r, func(body []byte) (*params, *requestError) {
		return parseRequest(body, s.tok, s.opt.Name, s.m.MaxLength(), s.opt.MaxPrompts)
	})
	if wk == nil {
		return
	}
	resp := s.response(wk)
	if wk.p.stream {
		writeStream(w, resp, wk.p.usage)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// serveRequest reads the body of r, parses it with parse, queues the
// work and waits for it. It returns the computed work, or nil when it
// has answered with an error (or the client went away).
func (s *Server) serveRequest(w http.ResponseWriter, r *http.Request, parse func(body []byte) (*params, *requestError)) *work {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opt.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, &requestError{status: http.StatusRequestEntityTooLarge, typ: "invalid_request_error",
				msg: fmt.Sprintf("request body is larger than %d bytes (send fewer or shorter prompts per request)", s.opt.MaxBodyBytes)})
			return nil
		}
		writeError(w, badRequest("", "reading the request body: %v", err))
		return nil
	}
	p, rerr := parse(body)
	if rerr != nil {
		writeError(w, rerr)
		return nil
	}
	wk := newWork(r.Context(), p)
	if s.closed() {
		writeError(w, unavailable("the server is shutting down"))
		return nil
	}
	select {
	case s.queue <- wk:
	default:
		s.stats.rejected.Add(1)
		writeError(w, unavailable(fmt.Sprintf("the request queue is full (%d waiting); retry later", s.opt.QueueSize)))
		return nil
	}
	select {
	case <-wk.done:
	case <-r.Context().Done():
		return nil // the client went away; the batcher skips or discards the work
	}
	if wk.err != nil {
		var re *requestError
		if errors.As(wk.err, &re) {
			writeError(w, re)
			return nil
		}
		writeError(w, &requestError{status: 500, typ: "server_error", msg: wk.err.Error()})
		return nil
	}
	s.stats.requests.Add(1)
	s.stats.prompts.Add(int64(len(p.prompts)))
	return wk
}

func unavailable(msg string) *requestError {
	return &requestError{status: http.StatusServiceUnavailable, typ: "server_error", msg: msg}
}

// loop collects queued requests into batches and runs them one at a time.
func (s *Server) loop() {
	defer close(s.done)
	for {
		var first *work
		select {
		case <-s.quit:
			s.drain()
			return
		case first = <-s.queue:
		}
		batch := []*work{first}
		timer := time.NewTimer(s.opt.BatchWindow)
	collect:
		for len(batch) < s.opt.MaxBatch {
			select {
			case w := <-s.queue:
				batch = append(batch, w)
			case <-timer.C:
				break collect
			}
		}
		timer.Stop()
		s.run(batch)
	}
}

// drain answers every queued request with 503.
func (s *Server) drain() {
	for {
		select {
		case w := <-s.queue:
			w.finish(unavailable("the server is shutting down"))
		default:
			return
		}
	}
}

// run computes a batch, isolating a request whose computation fails.
func (s *Server) run(batch []*work) {
	var live []*work
	for _, w := range batch {
		if err := w.ctx.Err(); err != nil {
			w.finish(err)
			continue
		}
		live = append(live, w)
	}
	if len(live) == 0 {
		return
	}
	s.stats.batches.Add(1)
	if err := s.compute(s.ctx, live); err != nil {
		if len(live) == 1 {
			live[0].finish(err)
			return
		}
		for _, w := range live {
			w.reset()
			w.finish(s.compute(s.ctx, []*work{w}))
		}
		return
	}
	for _, w := range live {
		w.finish(nil)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"message":"encoding the response failed","type":"server_error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, e *requestError) {
	var param any
	if e.param != "" {
		param = e.param
	}
	var code any
	if e.code != "" {
		code = e.code
	}
	writeJSON(w, e.status, map[string]any{"error": map[string]any{
		"message": e.msg, "type": e.typ, "param": param, "code": code}})
}

// writeStream answers a computed request as OpenAI's completions stream:
// server-sent events, one chunk per choice with its whole text (kshot
// serve computes a batch at once; clients concatenate the chunks'
// texts), then with usage a last chunk with no choices and the usage,
// then "data: [DONE]". Chunks before the last carry "usage": null.
func writeStream(w http.ResponseWriter, resp completionResponse, withUsage bool) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	event := func(v any) {
		data, err := json.Marshal(v)
		if err != nil {
			panic("serve: " + err.Error()) // the chunks are plain data
		}
		fmt.Fprintf(w, "data: %s\n\n", data)
	}
	chunk := func(choices []choice, u *usage) map[string]any {
		return map[string]any{"id": resp.ID, "object": resp.Object, "created": resp.Created, "model": resp.Model,
			"choices": choices, "usage": u}
	}
	for _, c := range resp.Choices {
		event(chunk([]choice{c}, nil))
	}
	if withUsage {
		u := resp.Usage
		event(chunk([]choice{}, &u))
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}
