package eval

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// LoggedRequest is a request as samples files log it: its kind
// ("loglikelihood", "multiple_choice", "loglikelihood_rolling",
// "generate_until") and its arguments, ready for encoding/json.
type LoggedRequest struct {
	Kind string `json:"kind"`
	Args any    `json:"args"`
}

// LogRequests returns the logged form of reqs (the same form the
// prompt-stability hashes are computed from).
func LogRequests(reqs []Request) []LoggedRequest { return requestsJSON(reqs) }

// LogResponse returns the logged form of a response, ready for
// encoding/json: [logprob, greedy] for a log-likelihood, one such pair
// per option for a multiple choice, [logprob, tokens] for a rolling
// log-likelihood, the text for a generation, nil for none.
func LogResponse(r Response) any { return responseJSON(r) }

// requestJSON is LoggedRequest under the name the request hashes use.
type requestJSON = LoggedRequest

func requestsJSON(reqs []Request) []requestJSON {
	out := make([]requestJSON, len(reqs))
	for i, r := range reqs {
		switch r := r.(type) {
		case Loglikelihood:
			out[i] = requestJSON{"loglikelihood", [2]string{r.Context, r.Continuation}}
		case MultipleChoice:
			args := make([][2]string, len(r.Options))
			for j, o := range r.Options {
				args[j] = [2]string{o.Context, o.Continuation}
			}
			out[i] = requestJSON{"multiple_choice", args}
		case Rolling:
			out[i] = requestJSON{"loglikelihood_rolling", map[string]any{"text": r.Text, "stride": r.Stride}}
		case Generate:
			args := map[string]any{"context": r.Context, "until": r.Until, "max_gen_toks": r.MaxTokens}
			if !r.Decoding.IsGreedy() {
				args["decoding"] = r.Decoding
			}
			out[i] = requestJSON{"generate_until", args}
		default:
			panic(fmt.Sprintf("eval: unknown request type %T", r))
		}
	}
	return out
}

func responseJSON(r Response) any {
	switch r := r.(type) {
	case LoglikelihoodResult:
		return []any{r.LogProb, r.Greedy}
	case ChoiceResult:
		out := make([][]any, len(r.Options))
		for i, o := range r.Options {
			out[i] = []any{o.LogProb, o.Greedy}
		}
		return out
	case RollingResult:
		return []any{r.LogProb, r.Tokens}
	case GenerateResult:
		return r.Text
	case nil:
		return nil
	default:
		panic(fmt.Sprintf("eval: unknown response type %T", r))
	}
}

// RunInfo is the run-level metadata written into a results file.
type RunInfo struct {
	Model        ModelInfo
	Options      Options
	KshotVersion string
	Date         time.Time
	CommandLine  []string
	Suite        string // suite name, "" for a plain run
	Threads      int
	Cache        string // cache database path, "" when disabled
}

// WriteFileAtomic writes data to path (mode 0644) through a temporary
// file, an fsync and a rename, so that a crash never leaves a partial
// file under the final name.
func WriteFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Chmod(0o644); err != nil { // CreateTemp's 0600 would hide results from other users
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
