package main

import (
	"fmt"
	"sort"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/suggest"
	"github.com/kshot-eval/kshot/tasks/suite"
)

// decodingUsage is kshot run's --decoding help.
const decodingUsage = "the decoding rule of a generation task, as `TASK=RULE` with RULE as results files write it: greedy, " +
	"'beam(width=4,length_penalty=0.6)' or 'sample(temperature=1,top_k=40,top_p=0.9,seed=7)' (repeatable; overrides a suite's decoding key)"

// applyDecodings gives each task named in --decoding TASK=RULE that rule
// (over a suite's decoding key); a bad rule or a task not in the plan is
// a one-line usage error. Whether the task generates is the plan's check.
func applyDecodings(ts []suite.Task, m mapFlag) error {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	var have []string
	for _, t := range ts {
		have = append(have, t.Name)
	}
	for _, n := range names {
		if _, err := eval.ParseDecoding(m[n]); err != nil {
			return usageError{fmt.Sprintf("--decoding %s=%s: %v", n, m[n], err)}
		}
		found := false
		for i := range ts {
			if ts[i].Name == n {
				ts[i].Decoding, found = &suite.Decoding{Text: m[n]}, true
			}
		}
		if !found {
			what := "add it to the tasks or drop the flag"
			if s := suggest.Closest(n, have); s != "" {
				what = fmt.Sprintf("did you mean %s?", s)
			}
			return usageError{fmt.Sprintf("--decoding %s=%s: task %s is not in the run (%s)", n, m[n], n, what)}
		}
	}
	return nil
}
