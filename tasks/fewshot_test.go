package tasks

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
)

// arithmeticFile writes n released-form addition problems.
func arithmeticFile(t *testing.T, n int) string {
	var b strings.Builder
	for i := range n {
		a, c := (i*37+11)%100, (i*53+7)%1000
		fmt.Fprintf(&b, `{"context": "\n\nQ: What is %d plus %d?\n\nA:", "completion": " %d"}`+"\n", a, c, a+c)
	}
	return writeFile(t, "arith.jsonl", b.String())
}

// TestShotsMax checks eval.ShotsMax against a brute force: for every
// document the prompt holds the k-shot examples (eval.SampleFewShot's
// draw) for the largest k whose prompt, continuation or generation budget
// included, fits the window, counted by tokenizers that do not add up
// over concatenation.
func TestShotsMax(t *testing.T) {
	counters := map[string]func(string) int{
		"bytes/4":  func(s string) int { return (len(s) + 3) / 4 },
		"words":    func(s string) int { return len(strings.Fields(s)) },
		"newlines": func(s string) int { return len(strings.Fields(s)) + strings.Count(s, "\n") },
		// A fixed cost per call overcounts examples counted alone.
		"overhead": func(s string) int { return (len(s)+3)/4 + 8 },
	}
	arith := arithmeticFile(t, 40)
	words := writeFile(t, "w.jsonl", strings.Repeat(`{"context": "\nasinoc =", "completion": " casino"}`+"\n"+`{"context": "\ntaefed =", "completion": " defeat"}`+"\n", 15))
	for cname, count := range counters {
		for _, c := range []struct {
			task, data, variant string
			tokens              int
		}{
			{"arithmetic_2da", arith, "", 150}, {"arithmetic_2da", arith, "gpt3", 90}, {"arithmetic_2da", arith, "", 5},
			{"cycle_letters", words, "", 330}, {"cycle_letters", words, "gpt3", 60}, {"cycle_letters", words, "gpt3", 400},
		} {
			t.Run(fmt.Sprintf("%s/%s/%s/%d", cname, c.task, c.variant, c.tokens), func(t *testing.T) {
				task, err := New(c.task, Options{DataPath: c.data, Variant: c.variant})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := task.Instances(eval.ShotsMax, 1); err == nil {
					t.Fatal("ShotsMax without a window: no error")
				}
				task.(eval.WindowedTask).SetContextWindow(eval.ContextWindow{Tokens: c.tokens, Count: count})
				in, err := task.Instances(eval.ShotsMax, 99)
				if err != nil {
					t.Fatal(err)
				}
				st := task.(*gpt3SynthTask)
				fs := st.fewShot()
				pool := make([]eval.Example, len(st.items))
				for i := range pool {
					pool[i] = st.example(i)
				}
				maxK := 0
				for i, inst := range in {
					// Brute force: the k-shot prompts for k = 0, 1, … and the
					// largest that fits.
					want, wantK := "", -1
					for k := 0; k < len(pool); k++ {
						idx, err := eval.SampleFewShot(len(pool), k, i, 99, i)
						if err != nil {
							t.Fatal(err)
						}
						exs := make([]eval.Example, k)
						for j, p := range idx {
							exs[j] = pool[p]
						}
						prompt := fs.Prompt(exs, pool[i].Text)
						need := count(prompt + st.items[i].Completion)
						if st.word {
							need = count(prompt) + genReserve(st.maxTokens())
						}
						if need > c.tokens {
							break
						}
						want, wantK = prompt, k
					}
					var got string
					switch r := inst.Requests[0].(type) {
					case eval.Loglikelihood:
						got = r.Context
					case eval.Generate:
						got = r.Context
					}
					if wantK < 0 {
						wantK, want = 0, fs.Prompt(nil, pool[i].Text) // even the query does not fit
					}
					if got != want {
						t.Fatalf("document %d: context\n%q\nwant the %d-shot prompt\n%q", i, got, wantK, want)
					}
					maxK = max(maxK, wantK)
				}
				if c.tokens >= 60 && maxK < 2 {
					t.Errorf("at most %d examples fit: the case does not exercise packing", maxK)
				}
				t.Logf("up to %d examples", maxK)
			})
		}
	}
}

// TestWindowedTasks checks which tasks support --shots max: the GPT-3
// suite's few-shot tasks do, GPT-1's zero-shot probes do not.
func TestWindowedTasks(t *testing.T) {
	for _, name := range []string{"hellaswag", "piqa", "winogrande", "arc_easy", "arc_challenge", "openbookqa", "copa", "boolq",
		"storycloze", "lambada_openai_cloze", "arithmetic_2da", "arithmetic_1dc", "cycle_letters", "anagrams1", "anagrams2",
		"random_insertion", "reversed_words", "triviaqa", "nq_open", "gpt1_sst2", "gpt1_race", "gpt1_winograd", "gpt1_cola"} {
		if registry[name].factory == nil {
			t.Errorf("%s is not registered", name)
		}
	}
	var _ eval.WindowedTask = (*mcTask)(nil)
	var _ eval.WindowedTask = (*gpt3SynthTask)(nil)
	var _ eval.WindowedTask = (*lambadaCloze)(nil)
	var _ eval.WindowedTask = (*qaTask)(nil)
	var _ eval.WindowedTask = (*wmtTask)(nil)
	var _ eval.WindowedTask = (*synthKShot)(nil)
	if err := eval.CheckShots(&gpt1Task{}, eval.ShotsMax); err == nil {
		t.Error("a GPT-1 probe accepts --shots max")
	}
	task, err := New("arithmetic_2da", Options{Variant: "generated"})
	if err != nil {
		t.Fatal(err)
	}
	if err := eval.CheckShots(task, eval.ShotsMax); err != nil {
		t.Error(err)
	}
}

// BenchmarkShotsMax packs 2000 generated arithmetic prompts into a
// 2048-token window counted in bytes (the packing alone, no tokenizer).
func BenchmarkShotsMax(b *testing.B) {
	task, err := New("arithmetic_2da", Options{Variant: "gpt3+generated"})
	if err != nil {
		b.Fatal(err)
	}
	task.(eval.WindowedTask).SetContextWindow(eval.ContextWindow{Tokens: 2048, Count: eval.ApproxTokens})
	for b.Loop() {
		if _, err := task.Instances(eval.ShotsMax, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// TestShotsBeyondWindow checks a fixed k against an exact window: a k
// that fits every document builds the same requests as without a window;
// a larger k is refused with the largest k that fits (found by brute
// force over the k-shot prompts), after allocating no more than a k that
// barely misfits, however large k is.
func TestShotsBeyondWindow(t *testing.T) {
	count := func(s string) int { return (len(s) + 3) / 4 }
	const window = 64
	data := arithmeticFile(t, 400)
	newTask := func(win bool) eval.Task {
		task, err := New("arithmetic_2da", Options{DataPath: data})
		if err != nil {
			t.Fatal(err)
		}
		if win {
			task.(eval.WindowedTask).SetContextWindow(eval.ContextWindow{Tokens: window, Count: count})
		}
		return task
	}
	// Brute force: the largest k whose prompt fits every document.
	st := newTask(false).(*gpt3SynthTask)
	fs := st.fewShot()
	pool := make([]eval.Example, len(st.items))
	for i := range pool {
		pool[i] = st.example(i)
	}
	fitAll, fitAny := len(pool), 0
	for i := range pool {
		k := 0
		for ; k < len(pool)-1; k++ {
			idx, _ := eval.SampleFewShot(len(pool), k+1, i, 1234, i)
			exs := make([]eval.Example, len(idx))
			for j, p := range idx {
				exs[j] = pool[p]
			}
			if count(fs.Prompt(exs, pool[i].Text)+st.items[i].Completion) > window {
				break
			}
		}
		fitAll, fitAny = min(fitAll, k), max(fitAny, k)
	}
	if fitAll < 1 {
		t.Fatalf("no example fits every document in %d tokens: the case does not exercise the check", window)
	}
	for k := 0; k <= fitAll; k++ {
		want, _ := newTask(false).Instances(k, 1234)
		got, err := newTask(true).Instances(k, 1234)
		if err != nil {
			t.Fatalf("%d-shot fits every document, yet: %v", k, err)
		}
		if eval.RequestHash(got) != eval.RequestHash(want) {
			t.Errorf("%d-shot: requests differ with the window set", k)
		}
	}
	// A k that fits some documents but not all runs (the long prompts are
	// cut from the left like any long context); one that fits no document
	// is refused.
	if fitAny > fitAll {
		if _, err := newTask(true).Instances(fitAny, 1234); err != nil {
			t.Errorf("%d-shot fits some documents, yet: %v", fitAny, err)
		}
	}
	if fitAny+1 >= len(pool) {
		t.Fatalf("every k up to the pool size fits some document: the case does not exercise the refusal")
	}
	allocs := map[int]uint64{}
	for _, k := range []int{fitAny + 1, 300} {
		task := newTask(true)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := task.Instances(k, 1234)
		runtime.ReadMemStats(&after)
		allocs[k] = after.TotalAlloc - before.TotalAlloc
		var se *eval.ShotsError
		if !errors.As(err, &se) {
			t.Fatalf("%d-shot in a %d-token window: error %v, want an *eval.ShotsError", k, window, err)
		}
		if se.Fit != fitAll || se.Shots != k || se.Window != window || se.Total != len(pool) || se.Docs != len(pool) {
			t.Errorf("%d-shot: %+v, want Fit %d of %d documents", k, *se, fitAll, len(pool))
		}
		if msg := se.Error(); !strings.Contains(msg, fmt.Sprintf("use --shots %d", fitAll)) || !strings.Contains(msg, "--shots max") {
			t.Errorf("message %q names neither the k that fits nor --shots max", msg)
		}
	}
	if allocs[300] > 2*allocs[fitAny+1] {
		t.Errorf("300-shot allocated %d bytes, %d-shot %d: building a prompt grows with k, not with the window", allocs[300], fitAny+1, allocs[fitAny+1])
	}
	t.Logf("fit %d (some document: %d); allocated %d bytes at k=%d, %d at k=300", fitAll, fitAny, allocs[fitAny+1], fitAny+1, allocs[300])
}
