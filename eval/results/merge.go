package results

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"time"

	"github.com/kshot-eval/kshot/eval"
)

// Shard is one shard's results file and samples, as Merge needs them.
type Shard struct {
	Path          string
	File          *File
	Samples       map[string][]SampleLine // by task key
	Index, Shards int                     // shard Index of Shards
}

// ReadShard reads the results file in dir (or dir itself when it is a
// file) and its samples files.
func ReadShard(dir string) (*Shard, error) {
	path := dir
	if fi, err := os.Stat(dir); err != nil {
		return nil, err
	} else if fi.IsDir() {
		files, _ := filepath.Glob(filepath.Join(dir, "results_*.json"))
		if len(files) != 1 {
			return nil, fmt.Errorf("%s: want exactly one results_*.json, found %d (pass the file itself)", dir, len(files))
		}
		path = files[0]
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := DecodeResults(data, path)
	if err != nil {
		return nil, err
	}
	s := &Shard{Path: path, File: f, Samples: map[string][]SampleLine{}}
	if n, err := fmt.Sscanf(f.Config.Shard, "%d/%d", &s.Index, &s.Shards); err != nil || n != 2 || s.Shards < 1 || s.Index < 0 || s.Index >= s.Shards {
		return nil, &FormatError{Path: path, Field: "config.shard", Msg: fmt.Sprintf("%q is not a shard i/n: not a shard's results (run with --shard i/n)", f.Config.Shard)}
	}
	for key := range f.Results {
		sp := samplesPath(path, key)
		if sp == "" {
			return nil, fmt.Errorf("%s: not named results_<timestamp>.json, so its samples files cannot be found", path)
		}
		fh, err := os.Open(sp)
		if err != nil {
			return nil, fmt.Errorf("%s: per-sample log missing (%v): merging needs the samples files beside the results", path, err)
		}
		var mvs []MetricValue
		for name, h := range f.HigherIsBetter[key] {
			mv := MetricValue{Name: name, HigherIsBetter: h}
			if spec, ok := f.Metrics[key][name]; ok {
				mv.Spec = &spec
			}
			mvs = append(mvs, mv)
		}
		sc := newStatsChecker(mvs)
		sr := NewSampleReader(fh, sp)
		for {
			l, err := sr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				fh.Close()
				return nil, err
			}
			if err := sc.check(sp, sr.Line(), l); err != nil {
				fh.Close()
				return nil, err
			}
			s.Samples[key] = append(s.Samples[key], l)
		}
		fh.Close()
	}
	return s, nil
}

// identity returns the parts of a results file that must agree between
// the shards of one run, by field name.
func identity(f *File) map[string]any {
	cfg := f.Config
	cfg.Shard = ""
	return map[string]any{
		"config": cfg, "versions": f.Versions, "n-shot": f.NShot, "task_hashes": f.TaskHashes,
		"model_fingerprint": f.ModelFingerprint, "kshot_version": f.KshotVersion,
		"higher_is_better": f.HigherIsBetter, "metrics": f.Metrics, "schema_version": f.SchemaVersion,
	}
}

// Merge combines the shards of one run into the results and samples of
// the whole run, dated now: every shard i of n exactly once, identical
// configuration, task versions and hashes; the samples of each task
// sorted by document and every metric recomputed over all of them,
// rebuilt from the file's kind and options.
func Merge(shards []*Shard, now time.Time) (*File, map[string][]SampleLine, error) {
	if len(shards) == 0 {
		return nil, nil, fmt.Errorf("no shards to merge")
	}
	first := shards[0]
	n := first.Shards
	seen := map[int]string{}
	id0 := identity(first.File)
	for _, s := range shards {
		if s.Shards != n {
			return nil, nil, fmt.Errorf("%s is shard %d/%d but %s is one of %d shards: not the same run", s.Path, s.Index, s.Shards, first.Path, n)
		}
		if prev, dup := seen[s.Index]; dup {
			return nil, nil, fmt.Errorf("shard %d/%d given twice (%s and %s)", s.Index, n, prev, s.Path)
		}
		seen[s.Index] = s.Path
		id := identity(s.File)
		keys := make([]string, 0, len(id))
		for k := range id {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !reflect.DeepEqual(id[k], id0[k]) {
				return nil, nil, fmt.Errorf("%s and %s are shards of different runs: their %s differ", first.Path, s.Path, k)
			}
		}
	}
	for i := range n {
		if _, ok := seen[i]; !ok {
			return nil, nil, fmt.Errorf("shard %d/%d is missing", i, n)
		}
	}
	m := *first.File
	m.Config.Shard = ""
	m.Results = map[string]TaskValues{}
	m.NSamples = map[string]NSamples{}
	samples := map[string][]SampleLine{}
	keys := make([]string, 0, len(first.File.Results))
	for k := range first.File.Results {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		var all []SampleLine
		for _, s := range shards {
			all = append(all, s.Samples[key]...)
		}
		sort.SliceStable(all, func(a, b int) bool { return *all[a].DocID < *all[b].DocID })
		hashes := make([]string, len(all))
		for i, s := range all {
			hashes[i] = s.RequestHash
		}
		if got, want := eval.CombineHashes(hashes), m.TaskHashes[key]; got != want {
			return nil, nil, fmt.Errorf("task %s: the shards' samples do not cover the run's documents (request hash %s, run's %s)", key, got, want)
		}
		out := TaskValues{Alias: first.File.Results[key].Alias, Values: map[string]Value{}}
		names := make([]string, 0, len(m.HigherIsBetter[key]))
		for name := range m.HigherIsBetter[key] {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			mv := MetricValue{Name: name, HigherIsBetter: m.HigherIsBetter[key][name]}
			if s, ok := m.Metrics[key][name]; ok {
				mv.Spec = &s
			}
			metric, err := mv.Build()
			if err != nil {
				return nil, nil, fmt.Errorf("%s: task %s: %w", first.Path, key, err)
			}
			stats := make([][]float64, len(all))
			for i, s := range all {
				st, ok := s.Stats[name]
				if !ok {
					return nil, nil, fmt.Errorf("task %s, document %d: no %s statistics in the samples", key, *s.DocID, name)
				}
				stats[i] = st
			}
			agg, err := eval.AggregateMetric(metric, stats, m.Config.BootstrapIters, m.Config.RandomSeed)
			if err != nil {
				return nil, nil, fmt.Errorf("task %s: %w", key, err)
			}
			out.Values[ValueKey(name, metric.Filter)] = Value(agg.Value)
			out.Values[StderrKey(name, metric.Filter)] = Value(agg.Stderr)
		}
		m.Results[key] = out
		samples[key] = all
		m.NSamples[key] = NSamples{Original: first.File.NSamples[key].Original, Effective: len(all)}
	}
	m.Date = float64(now.UnixNano()) / 1e9
	m.DateISO = now.UTC().Format(time.RFC3339)
	parts := make([]string, len(shards))
	for i, s := range shards {
		parts[i] = s.Path
	}
	m.Run = RunSettings{MergedFrom: parts}
	return &m, samples, nil
}

// MergedStamp returns the file-name timestamp of a merged file: its date.
func MergedStamp(f *File) string {
	sec := f.Date
	return Stamp(time.Unix(int64(sec), int64((sec-math.Floor(sec))*1e9)))
}
