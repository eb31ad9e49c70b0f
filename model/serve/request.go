package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/kshot-eval/kshot/model"
)

// completionRequest is the body of POST /v1/completions. Fields kshot
// serve cannot honour are decoded so that they can be refused by name.
type completionRequest struct {
	Model         string          `json:"model"`
	Prompt        json.RawMessage `json:"prompt"`
	MaxTokens     *int            `json:"max_tokens"`
	Echo          bool            `json:"echo"`
	Logprobs      *int            `json:"logprobs"`
	Stop          json.RawMessage `json:"stop"`
	Temperature   *float64        `json:"temperature"`
	TopP          *float64        `json:"top_p"`
	TopK          *int            `json:"top_k"`
	N             *int            `json:"n"`
	BestOf        *int            `json:"best_of"`
	Stream        bool            `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	PresencePenalty  *float64           `json:"presence_penalty"`
	FrequencyPenalty *float64           `json:"frequency_penalty"`
	LogitBias        map[string]float64 `json:"logit_bias"`
	Suffix           *string            `json:"suffix"`
	Seed             *int64             `json:"seed"` // greedy decoding is deterministic: ignored
	User             string             `json:"user"` // ignored
}

// params is a validated completion request.
type params struct {
	prompts   [][]int
	maxTokens int
	echo      bool
	logprobs  int // -1: no logprobs object
	stop      []string
	stream    bool // answer as server-sent events
	usage     bool // stream_options.include_usage: a last chunk with the usage
}

// requestError is a client mistake: HTTP status, OpenAI error type, the
// parameter at fault, OpenAI's error code (a string, "" for null) and a
// message.
type requestError struct {
	status int
	typ    string
	param  string
	code   string
	msg    string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(param, format string, args ...any) *requestError {
	return &requestError{status: 400, typ: "invalid_request_error", param: param, msg: fmt.Sprintf(format, args...)}
}

// defaultMaxTokens is OpenAI's default max_tokens for completions.
const defaultMaxTokens = 16

// maxStops is OpenAI's limit on stop strings.
const maxStops = 4

func modelNotFound(model, name string) *requestError {
	return &requestError{status: 404, typ: "invalid_request_error", param: "model", code: "model_not_found",
		msg: fmt.Sprintf("the model %q does not exist: this server serves %q", model, name)}
}

// decodeError turns a JSON decoding error into OpenAI's words: the
// parameter at fault and the JSON type it needs, never a Go type name.
func decodeError(err error) *requestError {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		want := jsonKind(te.Type)
		if field == "logprobs" {
			want += " from 0 to 5 on /v1/completions (true and false are /v1/chat/completions' logprobs)"
		}
		return badRequest(field, "%s must be %s, not %s", field, want, te.Value)
	case errors.As(err, &se):
		return badRequest("", "the request body is not valid JSON: %v at byte %d", se, se.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return badRequest(f, "unrecognized request argument supplied: %s", f)
	}
	return badRequest("", "the request body is not valid JSON: %v", err)
}

// jsonKind names the JSON type a Go type decodes from.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// parseRequest decodes and validates a completions request body for a
// model called name with a window of maxLen tokens. At most maxPrompts
// prompts are accepted.
func parseRequest(body []byte, tok model.Tokenizer, name string, maxLen, maxPrompts int) (*params, *requestError) {
	var req completionRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, decodeError(err)
	}
	if dec.More() {
		return nil, badRequest("", "request body has data after the JSON object")
	}
	if req.Model == "" {
		return nil, badRequest("model", "you must provide a model parameter (this server serves %q)", name)
	}
	if req.Model != name {
		return nil, modelNotFound(req.Model, name)
	}
	if e := checkGreedy(&req); e != nil {
		return nil, e
	}
	if req.StreamOptions != nil && !req.Stream {
		return nil, badRequest("stream_options", "stream_options is only allowed when stream is true")
	}
	p := &params{maxTokens: defaultMaxTokens, echo: req.Echo, logprobs: -1, stream: req.Stream,
		usage: req.StreamOptions != nil && req.StreamOptions.IncludeUsage}
	if req.MaxTokens != nil {
		if *req.MaxTokens < 0 {
			return nil, badRequest("max_tokens", "max_tokens %d is negative", *req.MaxTokens)
		}
		p.maxTokens = *req.MaxTokens
	}
	if req.Logprobs != nil {
		switch lp := *req.Logprobs; {
		case lp < 0:
			return nil, badRequest("logprobs", "logprobs %d is negative", lp)
		case lp > 1:
			return nil, badRequest("logprobs", "logprobs %d: kshot serve reports only the most likely token (logprobs 0 or 1)", lp)
		default:
			p.logprobs = lp
		}
	}
	stop, e := parseStop(req.Stop)
	if e != nil {
		return nil, e
	}
	if len(stop) > maxStops {
		return nil, badRequest("stop", "%d stop strings: at most %d are allowed", len(stop), maxStops)
	}
	p.stop = stop
	if p.prompts, e = parsePrompt(req.Prompt, tok, maxPrompts); e != nil {
		return nil, e
	}
	for i, ids := range p.prompts {
		switch {
		case p.maxTokens == 0 && len(ids) > maxLen+1:
			// Echo scoring never feeds the last token, so a window of
			// maxLen predictions takes maxLen+1 tokens.
			return nil, badRequest("prompt", "prompt %d is %d tokens; this model's context window is %d tokens (%d with max_tokens 0, whose last token is only scored)", i, len(ids), maxLen, maxLen+1)
		case p.maxTokens > 0 && len(ids)+p.maxTokens > maxLen:
			return nil, badRequest("max_tokens", "prompt %d is %d tokens and max_tokens is %d: together more than this model's context window of %d tokens (shorten the prompt or lower max_tokens)", i, len(ids), p.maxTokens, maxLen)
		}
	}
	return p, nil
}

// checkGreedy refuses every sampling parameter that would make decoding
// other than greedy.
func checkGreedy(req *completionRequest) *requestError {
	switch {
	case req.Temperature != nil && *req.Temperature != 0:
		return badRequest("temperature", "temperature %g: kshot serve decodes greedily only (temperature 0)", *req.Temperature)
	case req.TopP != nil && *req.TopP != 1:
		return badRequest("top_p", "top_p %g: kshot serve decodes greedily only (top_p 1)", *req.TopP)
	case req.TopK != nil && *req.TopK != -1 && *req.TopK != 0 && *req.TopK != 1:
		return badRequest("top_k", "top_k %d: kshot serve decodes greedily only (top_k -1, 0 or 1)", *req.TopK)
	case req.N != nil && *req.N != 1:
		return badRequest("n", "n %d: kshot serve returns one choice per prompt (n 1)", *req.N)
	case req.BestOf != nil && *req.BestOf != 1:
		return badRequest("best_of", "best_of %d: kshot serve decodes greedily only (best_of 1)", *req.BestOf)
	case req.PresencePenalty != nil && *req.PresencePenalty != 0:
		return badRequest("presence_penalty", "presence_penalty is not supported (greedy decoding only)")
	case req.FrequencyPenalty != nil && *req.FrequencyPenalty != 0:
		return badRequest("frequency_penalty", "frequency_penalty is not supported (greedy decoding only)")
	case len(req.LogitBias) > 0:
		return badRequest("logit_bias", "logit_bias is not supported (greedy decoding only)")
	case req.Suffix != nil && *req.Suffix != "":
		return badRequest("suffix", "suffix is not supported")
	}
	return nil
}

// parseStop decodes stop: null, a string or a list of strings; empty
// strings are dropped.
func parseStop(raw json.RawMessage) ([]string, *requestError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		if one == "" {
			return nil, nil
		}
		return []string{one}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, badRequest("stop", "stop must be a string or a list of strings")
	}
	var out []string
	for _, s := range list {
		if s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// parsePrompt decodes prompt: a string, a list of strings, a list of token
// ids or a list of lists of token ids, and tokenizes the strings.
func parsePrompt(raw json.RawMessage, tok model.Tokenizer, maxPrompts int) ([][]int, *requestError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, badRequest("prompt", "prompt is required")
	}
	var prompts [][]int
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, badRequest("prompt", "prompt: %v", err)
		}
		prompts = [][]int{tok.Encode(s)}
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, badRequest("prompt", "prompt: %v", err)
		}
		if len(items) == 0 {
			return nil, badRequest("prompt", "prompt is an empty list")
		}
		first := bytes.TrimSpace(items[0])
		switch {
		case len(first) > 0 && first[0] == '"':
			var ss []string
			if err := json.Unmarshal(raw, &ss); err != nil {
				return nil, badRequest("prompt", "prompt: a list must hold only strings, only token ids or only lists of token ids: %v", err)
			}
			for _, s := range ss {
				prompts = append(prompts, tok.Encode(s))
			}
		case len(first) > 0 && first[0] == '[':
			if err := json.Unmarshal(raw, &prompts); err != nil {
				return nil, badRequest("prompt", "prompt: a list must hold only strings, only token ids or only lists of token ids: %v", err)
			}
		default:
			var ids []int
			if err := json.Unmarshal(raw, &ids); err != nil {
				return nil, badRequest("prompt", "prompt: a list must hold only strings, only token ids or only lists of token ids: %v", err)
			}
			prompts = [][]int{ids}
		}
	default:
		return nil, badRequest("prompt", "prompt must be a string, a list of strings, a list of token ids or a list of lists of token ids")
	}
	if len(prompts) > maxPrompts {
		return nil, badRequest("prompt", "%d prompts in one request; at most %d are accepted (send several requests)", len(prompts), maxPrompts)
	}
	for i, ids := range prompts {
		if len(ids) == 0 {
			return nil, badRequest("prompt", "prompt %d is empty", i)
		}
		if _, err := model.DecodeChecked(tok, ids); err != nil {
			return nil, badRequest("prompt", "prompt %d: %v", i, err)
		}
	}
	return prompts, nil
}
