package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/kshot-eval/kshot/datasets/hub"
	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/model"
)

// openedModel is a model ready to evaluate: the model, its token counter
// for progress, and its request cache key.
type openedModel struct {
	lm     eval.LanguageModel
	tokens func() int64
	key    string
}

// openModel opens the model named by spec: a served model (api:URL), a
// checkpoint directory or a Hugging Face Hub id.
func openModel(ctx context.Context, p *runPlan, client *hub.Client, spec string, cached bool) (openedModel, error) {
	if isAPIModel(spec) {
		alm, err := openAPIModel(spec, &p.api)
		if err != nil {
			return openedModel{}, err
		}
		return openedModel{alm, alm.TokensProcessed, alm.CacheKey()}, nil
	}
	dir, err := resolveModel(ctx, client, spec)
	if err != nil {
		return openedModel{}, err
	}
	tlm, _, _, err := model.Open(dir)
	if err != nil {
		return openedModel{}, err
	}
	if dir != spec { // a Hub id: name the model after its repository
		info := tlm.Info()
		repo, _, _ := strings.Cut(spec, "@")
		info.Name = filepath.Base(repo)
		info.Source = spec + " (" + dir + ")"
		tlm.SetInfo(info)
	}
	m := openedModel{lm: tlm, tokens: tlm.TokensProcessed}
	if cached {
		if m.key, err = model.ScoreKey(dir); err != nil {
			return openedModel{}, err
		}
	}
	return m, nil
}

// resultsWhere says where the results files written lie: the one file,
// or the output directory and the files under it.
func resultsWhere(out string, written []string) string {
	switch len(written) {
	case 0:
		return ""
	case 1:
		return written[0]
	}
	rel := make([]string, len(written))
	for i, w := range written {
		if r, err := filepath.Rel(out, w); err == nil {
			rel[i] = r
		} else {
			rel[i] = w
		}
	}
	return fmt.Sprintf("%s (%s)", out, strings.Join(rel, ", "))
}

// failedError is the error of a run some of whose tasks failed: which and
// why, and where the results of the others are.
func failedError(failed []error, where string) error {
	msgs := make([]string, len(failed))
	for i, err := range failed {
		msgs[i] = err.Error()
	}
	msg := fmt.Sprintf("%d task run(s) failed: %s", len(failed), strings.Join(msgs, "; "))
	if where != "" {
		msg += "; the results of the tasks that finished are in " + where
	} else {
		msg += "; no task finished, so no results were written"
	}
	return exitError{code: 1, msg: msg}
}
