package main

import (
	"fmt"
	"io"

	"github.com/kshot-eval/kshot/model/ladder"
	"github.com/kshot-eval/kshot/tasks"
	"github.com/kshot-eval/kshot/tasks/suite"
)

// ladderShots are the shot counts of the default job's few-shot tasks.
var ladderShots = []int{0, 1, 5}

// defaultOutput is where the default job writes its results.
const defaultOutput = "kshot-out"

// runLadderJob is kshot's main job: the embedded ladder evaluated on the
// synthetic suite, the few-shot tasks at 0, 1 and 5 shots, the others
// zero-shot, results written under ./kshot-out unless --output is given.
func runLadderJob(p *runPlan, stdout, stderr io.Writer) error {
	dirs, err := ladder.Extract()
	if err != nil {
		return err
	}
	p.models = dirs
	p.suite = "synth (embedded ladder)"
	for _, n := range tasks.SynthSuite {
		st := suite.Task{Name: n, Shots: []int{0}}
		if tasks.SynthFewShot(n) {
			st.Shots = ladderShots
		}
		p.tasks = append(p.tasks, st)
	}
	p.shots = ladderShots
	if p.output == "" {
		p.output = defaultOutput
	}
	if !p.quiet {
		fmt.Fprintf(stderr, "kshot: no --model or --tasks: evaluating the embedded ladder (%d models) on the synthetic suite; results go to %s\n", len(dirs), p.output)
	}
	return executePlan(p, stdout, stderr)
}
