package eval

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// requestJSON is the logged form of a request: its kind and arguments.
type requestJSON struct {
	Kind string `json:"kind"`
	Args any    `json:"args"`
}

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
			out[i] = requestJSON{"generate_until", map[string]any{"context": r.Context, "until": r.Until, "max_gen_toks": r.MaxTokens}}
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

// JSONFloat returns x for JSON, NaN and ±Inf as the string "N/A", as
// lm-evaluation-harness does for missing standard errors.
func JSONFloat(x float64) any {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "N/A"
	}
	return x
}

// ResultsJSON builds a results document in lm-evaluation-harness's layout.
func ResultsJSON(run RunInfo, results []TaskResult) map[string]any {
	config := map[string]any{
		"model":           run.Model.Name,
		"model_source":    run.Model.Source,
		"limit":           run.Options.Limit,
		"bootstrap_iters": run.Options.BootstrapIters,
		"random_seed":     run.Options.Seed,
		"fewshot_seed":    run.Options.Seed,
		"shots":           run.Options.Shots,
	}
	if run.Suite != "" {
		config["suite"] = run.Suite
	}
	if run.Options.Shards > 1 {
		config["shard"] = fmt.Sprintf("%d/%d", run.Options.Shard, run.Options.Shards)
	}
	res := map[string]any{}
	versions := map[string]any{}
	nshot := map[string]any{}
	hib := map[string]any{}
	nsamples := map[string]any{}
	hashes := map[string]any{}
	configs := map[string]any{}
	durations := map[string]any{}
	for _, r := range results {
		m := map[string]any{"alias": r.Key}
		h := map[string]bool{}
		for _, mr := range r.Metrics {
			m[mr.Name+",none"] = JSONFloat(mr.Value)
			m[mr.Name+"_stderr,none"] = JSONFloat(mr.Stderr)
			h[mr.Name] = mr.HigherIsBetter
		}
		res[r.Key] = m
		versions[r.Key] = r.Spec.Version
		nshot[r.Key] = r.Shots
		hib[r.Key] = h
		nsamples[r.Key] = map[string]int{"original": r.NTotal, "effective": r.NDocs}
		hashes[r.Key] = r.RequestHash
		configs[r.Key] = map[string]any{"task": r.Spec.Name, "description": r.Spec.Description,
			"dataset": r.Spec.Dataset, "num_fewshot": r.Shots, "version": r.Spec.Version, "variant": r.Spec.Variant}
		durations[r.Key] = r.Duration.Seconds()
	}
	return map[string]any{
		"results":          res,
		"configs":          configs,
		"versions":         versions,
		"n-shot":           nshot,
		"higher_is_better": hib,
		"n-samples":        nsamples,
		"task_hashes":      hashes,
		"config":           config,
		// Run settings and timings: the only part of a results file
		// that may differ between runs that compute the same results.
		"run": map[string]any{
			"batch_size":       run.Options.BatchSize,
			"threads":          run.Threads,
			"cache":            run.Cache,
			"duration_seconds": durations,
			"command_line":     strings.Join(run.CommandLine, " "),
		},
		"model_name":           run.Model.Name,
		"model_num_parameters": run.Model.Parameters,
		"model_max_length":     run.Model.MaxLength,
		"model_fingerprint":    run.Model.Fingerprint,
		"kshot_version":        run.KshotVersion,
		"date":                 float64(run.Date.UnixNano()) / 1e9,
		"date_iso":             run.Date.UTC().Format(time.RFC3339),
	}
}

// WriteResults writes dir/results_<timestamp>.json and one
// dir/samples_<task>_<timestamp>.jsonl per task, each file written to a
// temporary name and renamed into place. It returns the results path.
func WriteResults(dir string, run RunInfo, results []TaskResult) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	stamp := run.Date.UTC().Format("2006-01-02T15-04-05.000000")
	for _, r := range results {
		var b strings.Builder
		for _, s := range r.Samples {
			resps := make([]any, len(s.Responses))
			for i, x := range s.Responses {
				resps[i] = responseJSON(x)
			}
			metrics := map[string]any{}
			for k, v := range s.Metrics {
				metrics[k] = JSONFloat(v)
			}
			line, err := canonicalJSON(map[string]any{
				"doc_id": s.DocID, "doc": s.Doc, "target": s.Target,
				"arguments": requestsJSON(s.Arguments), "resps": resps,
				"metrics": metrics, "stats": s.Stats, "request_hash": s.RequestHash,
			})
			if err != nil {
				return "", fmt.Errorf("samples of %s: %w", r.Key, err)
			}
			b.Write(line)
			b.WriteByte('\n')
		}
		if err := WriteFileAtomic(filepath.Join(dir, fmt.Sprintf("samples_%s_%s.jsonl", r.Key, stamp)), []byte(b.String())); err != nil {
			return "", err
		}
	}
	data, err := json.MarshalIndent(ResultsJSON(run, results), "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, fmt.Sprintf("results_%s.json", stamp))
	return path, WriteFileAtomic(path, append(data, '\n'))
}

// canonicalJSON marshals v with every object's keys sorted (structs
// included), so that a sample line read back and written again — as kshot
// merge does — is byte-identical.
func canonicalJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		return nil, err
	}
	return json.Marshal(generic)
}

// WriteFileAtomic writes data to path through a temporary file and a rename,
// so that a crash never leaves a partial file under the final name.
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
