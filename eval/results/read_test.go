package results

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReadRunRoundTrip(t *testing.T) {
	dir := t.TempDir()
	date := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	path := writeTestRun(t, dir, testModel{Name: "gpt2", Params: 124439808, Fingerprint: "abc123", Date: date},
		binaryTask("winograd", "1.0", 0, "acc", true, []float64{1, 0, 1, 1}),
		binaryTask("winograd", "1.0", 5, "acc", true, []float64{1}),
		perplexityTask("lambada_openai", "2.1", []float64{-1, -2, -3}))
	run, err := ReadRun(path)
	if err != nil {
		t.Fatal(err)
	}
	if run.Model.Name != "gpt2" || run.Model.Parameters != 124439808 || run.Model.Fingerprint != "abc123" || run.Model.MaxLength != 1024 || run.Model.Source != "/models/gpt2" {
		t.Errorf("model = %+v", run.Model)
	}
	if !run.Date.Equal(date) || run.KshotVersion != "test" || run.Config["limit"] != 0.0 || run.Config["random_seed"] != 1234.0 {
		t.Errorf("date %v version %q config %v", run.Date, run.KshotVersion, run.Config)
	}
	if len(run.Warnings) != 0 {
		t.Errorf("warnings: %v", run.Warnings)
	}
	var keys []string
	for _, tr := range run.Tasks {
		keys = append(keys, tr.Key)
	}
	if got := strings.Join(keys, ","); got != "lambada_openai,winograd,winograd_5shot" {
		t.Fatalf("keys = %s", got)
	}
	cases := []struct {
		key, task, version, metric string
		shots, ndocs               int
		hib                        bool
		value, stderr              float64
	}{
		// acc = 3/4; stderr = s.d.(1,0,1,1)/√4 = √(0.25)/2 = 0.25.
		{"winograd", "winograd", "1.0", "acc", 0, 4, true, 0.75, 0.25},
		// one document: no standard error, written as "N/A".
		{"winograd_5shot", "winograd", "1.0", "acc", 5, 1, true, 1, math.NaN()},
		// perplexity = exp(−(−1−2−3)/3) = e².
		{"lambada_openai", "lambada_openai", "2.1", "perplexity", 0, 3, false, math.Exp(2), -1},
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			var tr *TaskRun
			for _, x := range run.Tasks {
				if x.Key == c.key {
					tr = x
				}
			}
			if tr.Task != c.task || tr.Shots != c.shots || tr.Version != c.version || tr.NDocs != c.ndocs || tr.NTotal != c.ndocs || tr.Hash != "hash-"+c.task {
				t.Errorf("task = %+v", tr)
			}
			mv, ok := tr.Metric(c.metric)
			if !ok || mv.HigherIsBetter != c.hib || !near(mv.Value, c.value, 1e-12) || c.stderr >= 0 && !near(mv.Stderr, c.stderr, 1e-12) || math.IsNaN(c.stderr) && !math.IsNaN(mv.Stderr) {
				t.Errorf("metric = %+v, want value %g stderr %g", mv, c.value, c.stderr)
			}
			if len(tr.Samples) != c.ndocs || tr.SamplesPath == "" {
				t.Fatalf("%d samples from %q", len(tr.Samples), tr.SamplesPath)
			}
		})
	}
	lam := run.Tasks[0]
	if s := lam.Samples[1]; s.DocID != 1 || s.Stats["perplexity"][0] != -2 || s.Stats["perplexity"][1] != 1 || s.Target != "text" ||
		len(s.Arguments) != 1 || s.Arguments[0].Kind != "loglikelihood_rolling" || len(s.Resps) != 1 {
		t.Errorf("sample = %+v", s)
	}
	if s := run.Tasks[1].Samples[1]; s.Metrics["acc"] != 0 || s.Target != " wordb" || s.Arguments[0].Kind != "loglikelihood" {
		t.Errorf("sample = %+v", s)
	}
}

func TestReadRunMissingSamples(t *testing.T) {
	dir := t.TempDir()
	path := writeTestRun(t, dir, testModel{Name: "m", Params: 10}, binaryTask("winograd", "1.0", 0, "acc", true, []float64{1, 0}))
	samples, _ := filepath.Glob(filepath.Join(dir, "m", "samples_*"))
	for _, s := range samples {
		os.Remove(s)
	}
	run, err := ReadRun(path)
	if err != nil {
		t.Fatal(err)
	}
	if run.Tasks[0].Samples != nil || len(run.Warnings) != 1 || !strings.Contains(run.Warnings[0], "no per-sample log for winograd") {
		t.Errorf("samples %v, warnings %q", run.Tasks[0].Samples, run.Warnings)
	}
}

func TestParseResultsErrors(t *testing.T) {
	cases := []struct {
		name, data string
		line       int
		field, msg string
	}{
		{"truncated", "{\n  \"results\": {\n    \"a\": {\"acc,none\": 0.5", 3, "", "unexpected end"},
		{"syntax on line 3", "{\n\"results\": {},\n\"model_name\": x\n}", 3, "", "invalid JSON"},
		{"not an object", `[1,2]`, 0, "", "want map"},
		{"no results", `{"model_name": "m"}`, 0, "results", "missing"},
		{"no model", `{"results": {}}`, 0, "model_name", "missing or empty"},
		{"n-shot string", `{"results": {}, "model_name": "m", "n-shot": {"a": "five"}}`, 0, "n-shot", "want int"},
		{"bad value", `{"results": {"a": {"acc,none": "high"}}, "model_name": "m"}`, 0, "results.a.acc,none", "want a number"},
		{"bad stderr", `{"results": {"a": {"acc,none": 0.5, "acc_stderr,none": true}}, "model_name": "m"}`, 0, "results.a.acc_stderr,none", "want a number"},
		{"negative params", `{"results": {}, "model_name": "m", "model_num_parameters": -5}`, 0, "model_num_parameters", "not a parameter count"},
		{"null document", `null`, 0, "", "not a results file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseResults([]byte(c.data), "r.json")
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a FormatError", err)
			}
			if fe.Path != "r.json" || fe.Line != c.line || fe.Field != c.field || !strings.Contains(fe.Msg, c.msg) {
				t.Errorf("err = %#v (%v), want line %d field %q msg ~%q", fe, err, c.line, c.field, c.msg)
			}
		})
	}
}

func TestParseResultsLenient(t *testing.T) {
	// lm-evaluation-harness style: numeric versions, filters, no
	// higher_is_better: perplexity is then lower-is-better by name.
	data := `{"results": {"lambada_openai": {"alias": "lambada_openai", "perplexity,none": 40.05, "perplexity_stderr,none": "N/A",
		"acc,none": 0.3256, "acc,strict": 0.3, "acc_stderr,none": 0.0065}}, "versions": {"lambada_openai": 1.0},
		"config": {"model": "gpt2"}}`
	run, err := ParseResults([]byte(data), "r.json")
	if err != nil {
		t.Fatal(err)
	}
	tr := run.Tasks[0]
	if run.Model.Name != "gpt2" || tr.Version != "1.0" || len(tr.Metrics) != 3 {
		t.Fatalf("run %+v task %+v", run.Model, tr)
	}
	want := []MetricValue{{Name: "acc", HigherIsBetter: true, Value: 0.3256, Stderr: 0.0065}, {Name: "acc,strict", HigherIsBetter: true, Value: 0.3, Stderr: math.NaN()}, {Name: "perplexity", Value: 40.05, Stderr: math.NaN()}}
	for i, w := range want {
		g := tr.Metrics[i]
		if g.Name != w.Name || g.HigherIsBetter != w.HigherIsBetter || g.Value != w.Value || !near(g.Stderr, w.Stderr, 0) {
			t.Errorf("metric %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestParseSamplesErrors(t *testing.T) {
	good := `{"doc_id": 0, "target": "x", "metrics": {"acc": 1}, "stats": {"acc": [1, 1]}}`
	cases := []struct {
		name, data string
		line       int
		field, msg string
	}{
		{"corrupt line 2", good + "\n{\"doc_id\": 1, \"stats\": {\"acc\": [1, \n", 2, "", "unexpected end"},
		{"missing doc_id", good + "\n\n{\"target\": \"y\"}\n", 3, "doc_id", "missing"},
		{"duplicate doc_id", good + "\n" + good + "\n", 2, "doc_id", "already logged on line 1"},
		{"stats type", `{"doc_id": 0, "stats": {"acc": "1"}}`, 1, "stats", "want []float64"},
		{"empty stats", `{"doc_id": 0, "stats": {"acc": []}}`, 1, "stats.acc", "empty"},
		{"metric type", `{"doc_id": 0, "metrics": {"acc": [1]}}`, 1, "metrics.acc", "want a number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseSamples(strings.NewReader(c.data), "s.jsonl")
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a FormatError", err)
			}
			if fe.Line != c.line || fe.Field != c.field || !strings.Contains(fe.Msg, c.msg) {
				t.Errorf("err = %v, want line %d field %q msg ~%q", err, c.line, c.field, c.msg)
			}
		})
	}
	recs, err := ParseSamples(strings.NewReader(good+"\n"+strings.Replace(good, `"doc_id": 0`, `"doc_id": 7`, 1)), "s.jsonl")
	if err != nil || len(recs) != 2 || recs[1].DocID != 7 || recs[1].Stats["acc"][0] != 1 || recs[0].Target != "x" {
		t.Errorf("recs = %+v, err %v", recs, err)
	}
}

func FuzzParseResults(f *testing.F) {
	dir := f.TempDir()
	path := writeTestRun(f, dir, testModel{Name: "m", Params: 5}, binaryTask("winograd", "1.0", 1, "acc", true, []float64{1, 0}))
	data, _ := os.ReadFile(path)
	f.Add(data)
	f.Add([]byte(`{"results": {"a": {"acc,none": "N/A"}}, "model_name": "m", "versions": {"a": 2}}`))
	f.Add([]byte(`{"results": null, "model_name": ""}`))
	if lm, err := os.ReadFile("testdata/lm-eval/results_2025-01-21T00-40-03.356274.json"); err == nil {
		f.Add(lm)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		run, err := ParseResults(data, "fuzz.json")
		if err == nil && run.Model.Name == "" {
			t.Error("accepted a results file without a model name")
		}
	})
}

func FuzzParseSamples(f *testing.F) {
	dir := f.TempDir()
	writeTestRun(f, dir, testModel{Name: "m", Params: 5}, binaryTask("winograd", "1.0", 0, "acc", true, []float64{1, 0}))
	files, _ := filepath.Glob(filepath.Join(dir, "m", "samples_*"))
	data, _ := os.ReadFile(files[0])
	f.Add(data)
	f.Add([]byte("{\"doc_id\": 1, \"metrics\": {\"acc\": \"N/A\"}}\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := ParseSamples(bytes.NewReader(data), "fuzz.jsonl")
		if err != nil {
			return
		}
		seen := map[int]bool{}
		for _, r := range recs {
			if seen[r.DocID] {
				t.Fatalf("duplicate doc id %d accepted", r.DocID)
			}
			seen[r.DocID] = true
			for k, s := range r.Stats {
				if len(s) == 0 {
					t.Fatalf("empty stats %s accepted", k)
				}
			}
		}
	})
}
