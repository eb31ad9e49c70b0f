package cache

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kshot-eval/kshot/eval"
)

// countLM answers loglikelihood requests with -len(continuation) and counts calls.
type countLM struct{ calls, reqs int }

func (c *countLM) Info() eval.ModelInfo { return eval.ModelInfo{Name: "count"} }
func (c *countLM) Loglikelihood(_ context.Context, r []eval.Loglikelihood) ([]eval.LoglikelihoodResult, error) {
	c.calls++
	c.reqs += len(r)
	out := make([]eval.LoglikelihoodResult, len(r))
	for i, x := range r {
		out[i] = eval.LoglikelihoodResult{LogProb: -float64(len(x.Continuation)) / 3, Greedy: i%2 == 0, Tokens: len(x.Continuation)}
	}
	return out, nil
}
func (c *countLM) Rolling(context.Context, []eval.Rolling) ([]eval.RollingResult, error) {
	return nil, nil
}
func (c *countLM) Generate(_ context.Context, r []eval.Generate) ([]eval.GenerateResult, error) {
	out := make([]eval.GenerateResult, len(r))
	for i, x := range r {
		out[i].Text = strings.ToUpper(x.Context)
	}
	return out, nil
}

var reqs = []eval.Loglikelihood{{Context: "a", Continuation: " bc"}, {Context: "d", Continuation: " efgh"}, {Context: "", Continuation: "x"}}

func TestCacheRoundTrip(t *testing.T) {
	dir := t.TempDir()
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	inner := &countLM{}
	lm := Wrap(inner, c, "model-a")
	first, err := lm.Loglikelihood(context.Background(), reqs[:2])
	if err != nil {
		t.Fatal(err)
	}
	all, err := lm.Loglikelihood(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	if inner.reqs != 3 {
		t.Errorf("model computed %d requests, want 3 (2 then only the new one)", inner.reqs)
	}
	for i := range first {
		if all[i] != first[i] {
			t.Errorf("cached %+v differs from computed %+v", all[i], first[i])
		}
	}
	c.Close()
	// Reopen: everything comes from disk; another model shares nothing.
	c, _ = Open(dir)
	defer c.Close()
	inner2 := &countLM{}
	again, _ := Wrap(inner2, c, "model-a").Loglikelihood(context.Background(), reqs)
	if inner2.reqs != 0 || again[2] != all[2] {
		t.Errorf("after reopening: %d computed, result %+v vs %+v", inner2.reqs, again[2], all[2])
	}
	Wrap(inner2, c, "model-b").Loglikelihood(context.Background(), reqs)
	if inner2.reqs != 3 {
		t.Errorf("another model reused %d cached entries", 3-inner2.reqs)
	}
	st, err := c.Stats()
	if err != nil || len(st) != 2 || st[0].Entries != 3 {
		t.Errorf("stats %+v %v", st, err)
	}
	if n, err := c.Prune("model-b", time.Time{}); err != nil || n != 3 {
		t.Errorf("prune deleted %d (%v), want 3", n, err)
	}
}

func TestCorruptCacheIsRebuilt(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("this is not a database, just junk bytes................................................................................................"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !strings.Contains(c.Rebuilt, "moved to") {
		t.Errorf("Rebuilt = %q, want a note that the file was moved aside", c.Rebuilt)
	}
	if _, err := Wrap(&countLM{}, c, "m").Loglikelihood(context.Background(), reqs); err != nil {
		t.Fatal(err)
	}
}

func TestOldSchemaIsRebuilt(t *testing.T) {
	dir := t.TempDir()
	c, _ := Open(dir)
	Wrap(&countLM{}, c, "m").Loglikelihood(context.Background(), reqs)
	c.db.Exec(`UPDATE meta SET value = 'kshot-request-cache-0' WHERE key = 'schema'`)
	c.Close()
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Rebuilt == "" {
		t.Error("a cache of another format was reused")
	}
	inner := &countLM{}
	Wrap(inner, c, "m").Loglikelihood(context.Background(), reqs)
	if inner.reqs != 3 {
		t.Errorf("rebuilt cache answered %d requests from the old file", 3-inner.reqs)
	}
}

func TestTamperedRowIsRecomputed(t *testing.T) {
	c, _ := Open(t.TempDir())
	defer c.Close()
	lm := Wrap(&countLM{}, c, "m")
	want, _ := lm.Loglikelihood(context.Background(), reqs)
	// Change a stored score without fixing its checksum.
	if _, err := c.db.Exec(`UPDATE responses SET value = '{"LogProb":-0.5,"Greedy":true,"Tokens":3}'`); err != nil {
		t.Fatal(err)
	}
	inner := &countLM{}
	got, _ := Wrap(inner, c, "m").Loglikelihood(context.Background(), reqs)
	if inner.reqs != 3 {
		t.Errorf("%d tampered rows were trusted", 3-inner.reqs)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("request %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

// ruleLM answers a generation with its context and decoding rule.
type ruleLM struct {
	countLM
	gens int
}

func (r *ruleLM) Generate(_ context.Context, reqs []eval.Generate) ([]eval.GenerateResult, error) {
	r.gens += len(reqs)
	out := make([]eval.GenerateResult, len(reqs))
	for i, x := range reqs {
		out[i].Text = x.Context + " by " + x.Decoding.String()
	}
	return out, nil
}

// TestCacheKeysByDecoding checks that generations of one context under
// different rules (or seeds) are cached apart, and each is answered from
// the cache the second time.
func TestCacheKeysByDecoding(t *testing.T) {
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	inner := &ruleLM{}
	lm := Wrap(inner, c, "m")
	sample := eval.Decoding{Method: eval.DecodeSample, Temperature: 1, TopK: 2, TopP: 1, Seed: 1}
	reseeded := sample
	reseeded.Seed = 2
	reqs := []eval.Generate{
		{Context: "q"},
		{Context: "q", Decoding: eval.Decoding{Method: eval.DecodeBeam, BeamWidth: 4, LengthPenalty: 0.6}},
		{Context: "q", Decoding: sample},
		{Context: "q", Decoding: reseeded},
	}
	for round := range 2 {
		got, err := lm.Generate(context.Background(), reqs)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range reqs {
			if want := "q by " + r.Decoding.String(); got[i].Text != want {
				t.Errorf("round %d request %d: %q, want %q", round, i, got[i].Text, want)
			}
		}
		if inner.gens != len(reqs) {
			t.Errorf("round %d: the model generated %d times, want %d", round, inner.gens, len(reqs))
		}
	}
}
