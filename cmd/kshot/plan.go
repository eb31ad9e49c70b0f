package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kshot-eval/kshot/datasets/hub"
	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/reports"
	"github.com/kshot-eval/kshot/tasks"
	"github.com/kshot-eval/kshot/tasks/suite"
)

// planTask is a built task with its shot counts.
type planTask struct {
	task  eval.Task
	shots []int
	limit int
	note  string // table footnote (a zero-shot-only task run at 0 shots only)
}

// buildPlan checks the whole plan of p (suite.Plan.Check) and builds every
// task, before any model is loaded. Every problem comes back at once as a
// usage error.
func buildPlan(ctx context.Context, hub *hub.Client, p *runPlan) ([]planTask, error) {
	pl := p.plan
	if pl == nil { // the default job sets the fields directly
		pl = &suite.Plan{Models: p.models, Tasks: p.tasks, Shots: p.shots, Seeds: p.seeds, Limit: p.limit, DataDir: p.dataDir}
	}
	pl.CheckModel = checkModelSpec
	pl.Options = tasks.Options{Hub: hub, Context: ctx}
	if err := pl.Check(); err != nil {
		if suite.IsProblems(err) {
			return nil, usageError{err.Error()}
		}
		return nil, err
	}
	p.skipped = pl.Skipped()
	var pts []planTask
	for _, b := range pl.Built() {
		pts = append(pts, planTask{task: b.Task, shots: b.Shots, limit: b.Limit, note: b.Note})
	}
	return pts, nil
}

// skippedSummary is the run's last word on the suite tasks left out for
// want of data ("" when none was).
func skippedSummary(skipped []suite.Skipped) string {
	if len(skipped) == 0 {
		return ""
	}
	names := make([]string, len(skipped))
	for i, s := range skipped {
		names[i] = s.Task
	}
	return fmt.Sprintf("%d task(s) of the suite were not run because their data is not here: %s (what to fetch is at the start of the run)", len(skipped), strings.Join(names, ", "))
}

// planNotes returns the footnotes of the run table.
func planNotes(pts []planTask) []reports.TaskNote {
	var notes []reports.TaskNote
	for _, pt := range pts {
		if pt.note != "" {
			notes = append(notes, reports.TaskNote{Task: pt.task.Spec().Name, Text: pt.note})
		}
	}
	return notes
}

// checkModelSpec reports a model spec that can never open: a directory
// without config.json, or a name that is neither a directory nor a
// Hugging Face Hub id. API models are checked when they connect.
func checkModelSpec(spec string) error {
	if isAPIModel(spec) {
		return nil
	}
	if fi, err := os.Stat(spec); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("model %s is a file; give its checkpoint directory (with config.json and model.safetensors)", spec)
		}
		if _, err := os.Stat(filepath.Join(spec, "config.json")); err != nil {
			return fmt.Errorf("model directory %s has no config.json (give a checkpoint directory in Hugging Face layout)", spec)
		}
		return nil
	}
	if _, _, err := hub.ParseModelSpec(spec); err != nil {
		return fmt.Errorf("model %q: no such directory, and not a Hugging Face Hub id (%v)", spec, err)
	}
	return nil
}
