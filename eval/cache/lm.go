package cache

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kshot-eval/kshot/eval"
)

// LM is an eval.LanguageModel that answers from the cache where it can and
// stores every new response before returning it.
type LM struct {
	inner eval.LanguageModel
	c     *Cache
	model string
	// Hits and Misses count requests answered from the cache and computed.
	Hits, Misses int64
}

// Wrap returns lm backed by c; model identifies exactly what the scores
// depend on: the model's weights and tokenizer, and for the built-in
// decoder its arithmetic (model.ScoreKey).
func Wrap(lm eval.LanguageModel, c *Cache, model string) *LM {
	return &LM{inner: lm, c: c, model: model}
}

// Info implements eval.LanguageModel.
func (m *LM) Info() eval.ModelInfo { return m.inner.Info() }

// TokensProcessed forwards to the wrapped model when it counts tokens.
func (m *LM) TokensProcessed() int64 {
	if t, ok := m.inner.(interface{ TokensProcessed() int64 }); ok {
		return t.TokensProcessed()
	}
	return 0
}

// cached answers reqs from the cache, computes the misses with compute and
// stores them in one transaction.
func cached[Req any, Res any](m *LM, kind string, reqs []Req, compute func([]Req) ([]Res, error)) ([]Res, error) {
	keys := make([]string, len(reqs))
	for i, r := range reqs {
		b, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		keys[i] = kind + ":" + string(b)
	}
	got, err := m.c.GetMany(m.model, keys)
	if err != nil {
		return nil, err
	}
	out := make([]Res, len(reqs))
	var missIdx []int
	var miss []Req
	for i, k := range keys {
		v, ok := got[k]
		if ok {
			if err := json.Unmarshal(v, &out[i]); err == nil {
				continue
			}
		}
		missIdx = append(missIdx, i)
		miss = append(miss, reqs[i])
	}
	m.Hits += int64(len(reqs) - len(miss))
	m.Misses += int64(len(miss))
	if len(miss) == 0 {
		return out, nil
	}
	res, err := compute(miss)
	if err != nil {
		return nil, err
	}
	if len(res) != len(miss) {
		return nil, fmt.Errorf("model returned %d results for %d %s requests", len(res), len(miss), kind)
	}
	put := make(map[string][]byte, len(miss))
	for j, i := range missIdx {
		out[i] = res[j]
		if b, err := json.Marshal(res[j]); err == nil { // NaN/Inf results are not cached
			put[keys[i]] = b
		}
	}
	if err := m.c.PutMany(m.model, put); err != nil {
		return nil, err
	}
	return out, nil
}

// Loglikelihood implements eval.LanguageModel.
func (m *LM) Loglikelihood(ctx context.Context, reqs []eval.Loglikelihood) ([]eval.LoglikelihoodResult, error) {
	return cached(m, "loglikelihood", reqs, func(r []eval.Loglikelihood) ([]eval.LoglikelihoodResult, error) {
		return m.inner.Loglikelihood(ctx, r)
	})
}

// Rolling implements eval.LanguageModel.
func (m *LM) Rolling(ctx context.Context, reqs []eval.Rolling) ([]eval.RollingResult, error) {
	return cached(m, "rolling", reqs, func(r []eval.Rolling) ([]eval.RollingResult, error) {
		return m.inner.Rolling(ctx, r)
	})
}

// Generate implements eval.LanguageModel.
func (m *LM) Generate(ctx context.Context, reqs []eval.Generate) ([]eval.GenerateResult, error) {
	return cached(m, "generate", reqs, func(r []eval.Generate) ([]eval.GenerateResult, error) {
		return m.inner.Generate(ctx, r)
	})
}
