package results

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kshot-eval/kshot/eval"
)

// stampLayout is the timestamp in results and samples file names.
const stampLayout = "2006-01-02T15-04-05.000000"

// Stamp returns the file-name timestamp of a run started at t.
func Stamp(t time.Time) string { return t.UTC().Format(stampLayout) }

// FromEval converts a run's results into a results file and its samples
// lines by task key.
func FromEval(run eval.RunInfo, results []eval.TaskResult) (*File, map[string][]SampleLine, error) {
	f := &File{
		SchemaVersion: SchemaVersion,
		Config: Config{Model: run.Model.Name, ModelSource: run.Model.Source, Limit: float64(run.Options.Limit),
			BootstrapIters: run.Options.BootstrapIters, RandomSeed: run.Options.Seed, FewshotSeed: run.Options.Seed,
			Shots: run.Options.Shots, Suite: run.Suite},
		Configs: map[string]TaskConfig{}, Results: map[string]TaskValues{}, Versions: map[string]Version{},
		NShot: map[string]int{}, HigherIsBetter: map[string]map[string]bool{}, NSamples: map[string]NSamples{},
		TaskHashes: map[string]string{}, Metrics: map[string]map[string]MetricSpec{},
		ModelName: run.Model.Name, ModelNumParameters: float64(run.Model.Parameters), ModelMaxLength: run.Model.MaxLength,
		ModelFingerprint: run.Model.Fingerprint, KshotVersion: run.KshotVersion,
		Date: float64(run.Date.UnixNano()) / 1e9, DateISO: run.Date.UTC().Format(time.RFC3339),
	}
	if c := run.Model.Chat; c != nil {
		f.Config.ChatEndpoint = c.Endpoint
		multi := c.FewshotAsMultiturn
		f.FewshotAsMultiturn = &multi
		if s := c.SystemInstruction; s != "" {
			sum := sha256.Sum256([]byte(s))
			sha := hex.EncodeToString(sum[:])
			f.SystemInstruction, f.SystemInstructionSHA = &s, &sha
		}
	}
	if run.Options.Shards > 1 {
		f.Config.Shard = fmt.Sprintf("%d/%d", run.Options.Shard, run.Options.Shards)
	}
	batch, threads, cache, cmd := run.Options.BatchSize, run.Threads, run.Cache, strings.Join(run.CommandLine, " ")
	durations := map[string]float64{}
	f.Run = RunSettings{BatchSize: &batch, Threads: &threads, Cache: &cache, CommandLine: &cmd, DurationSeconds: &durations}
	samples := map[string][]SampleLine{}
	for _, r := range results {
		tv := TaskValues{Alias: r.Key, Values: map[string]Value{}}
		hib := map[string]bool{}
		specs := map[string]MetricSpec{}
		for _, m := range r.Spec.Metrics {
			spec, err := specOf(m)
			if err != nil {
				return nil, nil, fmt.Errorf("task %s: %w", r.Key, err)
			}
			specs[m.Name] = spec
		}
		for _, mr := range r.Metrics {
			filter := specs[mr.Name].Filter
			tv.Values[ValueKey(mr.Name, filter)] = Value(mr.Value)
			tv.Values[StderrKey(mr.Name, filter)] = Value(mr.Stderr)
			hib[mr.Name] = mr.HigherIsBetter
		}
		f.Results[r.Key] = tv
		f.Versions[r.Key] = Version(r.Spec.Version)
		f.NShot[r.Key] = r.Shots
		f.HigherIsBetter[r.Key] = hib
		f.NSamples[r.Key] = NSamples{Original: r.NTotal, Effective: r.NDocs}
		f.TaskHashes[r.Key] = r.RequestHash
		f.Configs[r.Key] = TaskConfig{Task: r.Spec.Name, Description: r.Spec.Description, Dataset: r.Spec.Dataset,
			NumFewshot: r.Shots, Version: Version(r.Spec.Version), Variant: r.Spec.Variant, Decoding: r.Decoding}
		f.Metrics[r.Key] = specs
		durations[r.Key] = r.Duration.Seconds()
		lines := make([]SampleLine, 0, len(r.Samples))
		for _, s := range r.Samples {
			l, err := sampleLine(s)
			if err != nil {
				return nil, nil, fmt.Errorf("samples of %s, document %d: %w", r.Key, s.DocID, err)
			}
			lines = append(lines, l)
		}
		samples[r.Key] = lines
	}
	return f, samples, nil
}

// specOf returns the kind, standard-error method, options and filter of m.
func specOf(m eval.Metric) (MetricSpec, error) {
	spec := MetricSpec{Kind: m.Kind(), Stderr: m.StderrMethod(), Filter: m.Filter}
	if m.Options != nil {
		b, err := json.Marshal(m.Options)
		if err != nil {
			return spec, fmt.Errorf("options of metric %s: %w", m.Name, err)
		}
		spec.Options = b
	}
	return spec, nil
}

func sampleLine(s eval.Sample) (SampleLine, error) {
	id := s.DocID
	l := SampleLine{DocID: &id, Stats: s.Stats, RequestHash: s.RequestHash, Metrics: make(map[string]Value, len(s.Metrics)),
		Arguments: make([]Request, 0, len(s.Arguments)), Resps: make([]json.RawMessage, 0, len(s.Responses))}
	var err error
	if l.Doc, err = json.Marshal(s.Doc); err != nil {
		return l, err
	}
	if l.Target, err = json.Marshal(s.Target); err != nil {
		return l, err
	}
	for k, v := range s.Metrics {
		l.Metrics[k] = Value(v)
	}
	for _, r := range eval.LogRequests(s.Arguments) {
		args, err := json.Marshal(r.Args)
		if err != nil {
			return l, err
		}
		l.Arguments = append(l.Arguments, Request{Kind: r.Kind, Args: args})
	}
	for _, r := range s.Responses {
		b, err := json.Marshal(eval.LogResponse(r))
		if err != nil {
			return l, err
		}
		l.Resps = append(l.Resps, b)
	}
	return l, nil
}

// Write writes dir/results_<timestamp>.json and one
// dir/samples_<key>_<timestamp>.jsonl per task (timestamp: the run's
// start), each through eval.WriteFileAtomic. It returns the results path.
func Write(dir string, run eval.RunInfo, results []eval.TaskResult) (string, error) {
	f, samples, err := FromEval(run, results)
	if err != nil {
		return "", err
	}
	return WriteFiles(dir, Stamp(run.Date), f, samples)
}

// WriteFiles writes f and its samples under dir with the given
// timestamp; samples files are written first, so that a results file
// never names samples that are not there. It returns the results path.
func WriteFiles(dir, stamp string, f *File, samples map[string][]SampleLine) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	keys := make([]string, 0, len(samples))
	for k := range samples {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		var b bytes.Buffer
		for _, s := range samples[key] {
			line, err := canonicalJSON(s)
			if err != nil {
				return "", fmt.Errorf("samples of %s: %w", key, err)
			}
			b.Write(line)
			b.WriteByte('\n')
		}
		if err := eval.WriteFileAtomic(filepath.Join(dir, "samples_"+key+"_"+stamp+".jsonl"), b.Bytes()); err != nil {
			return "", err
		}
	}
	data, err := EncodeResults(f)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "results_"+stamp+".json")
	return path, eval.WriteFileAtomic(path, data)
}

// EncodeResults returns f as written to a results file: indented JSON
// with every object's keys sorted and a final newline.
func EncodeResults(f *File) ([]byte, error) {
	b, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(generic, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// canonicalJSON marshals v with every object's keys sorted.
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
