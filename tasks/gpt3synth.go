package tasks

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kshot-eval/kshot/datasets"
	"github.com/kshot-eval/kshot/eval"
)

// The GPT-3 paper's synthetic tasks: ten arithmetic tasks
// (arithmetic_2da … arithmetic_1dc) and five word manipulations
// (cycle_letters, anagrams1, anagrams2, random_insertion, reversed_words).
//
// By default they read the files the paper released (kshot's shared
// data/gpt3, byte copies of openai/gpt-3 data/). The variant picks the
// prompt format and, with "+generated", a set generated from a seed in the
// same format and distribution (see gpt3gen.go); the word tasks then
// scramble the words of the released file again (or of the word list given
// with --data: a .txt file with one word per line, or a file of the
// released form). Variants: "lm-eval" (default), "gpt3", and either
// followed by "+generated" or "+generated:SEED" (seed GPT3GenerateSeed by
// default); "generated[:SEED]" alone means "lm-eval+generated[:SEED]".
//
// Formats:
//   - lm-eval, arithmetic: the context rewritten as lm-evaluation-harness
//     does ("Question: What is 98 plus 45?\nAnswer:"), target " 143", no
//     target delimiter, examples separated by a blank line;
//   - lm-eval, words: the raw context ("\nasinoc ="), target " casino",
//     target delimiter " " (so examples read "\nasinoc =  casino", as in
//     lm-evaluation-harness), examples separated by a blank line;
//   - gpt3: the released pieces concatenated, context + completion per
//     example, then the query's context: the leading newlines of each
//     context separate it from the example before. Zero- and one-shot
//     word tasks start with the paper's task description
//     (UnscrambleDescription, Figures G.19–G.27).
//
// Arithmetic is scored as a log-likelihood request, acc = the whole answer
// is the model's greedy continuation; the word tasks generate greedily
// until a newline, exact_match = the generated text equals the completion exactly
// (leading space included).
func init() {
	for _, s := range arithmeticSpecs {
		name := "arithmetic_" + s.code
		desc := "GPT-3 arithmetic " + s.code + " (" + s.file + ", 2000 problems): acc of the greedy answer"
		Register(name, Decl{Description: desc, Variants: synthVariants, ParseVariant: parseSynthVariantName(name), Kind: eval.KindLoglikelihood, Metrics: acc}, func(o Options) (eval.Task, error) { return newGPT3Synth(name, s.file, &s, nil, o) })
	}
	for _, s := range wordSpecs {
		desc := "GPT-3 word manipulation " + s.name + " (" + s.file + ", 10000 words): generate until a newline; exact_match"
		Register(s.name, Decl{Description: desc, Variants: synthVariants, ParseVariant: parseSynthVariantName(s.name), Kind: eval.KindGenerate, Metrics: exactMatch}, func(o Options) (eval.Task, error) { return newGPT3Synth(s.name, s.file, nil, &s, o) })
	}
}

// GPT3GenerateSeed is the seed of the "+generated" variants when none is
// given.
const GPT3GenerateSeed = 2020

// Synthetic-task prompt formats (the first part of a variant).
const (
	SynthFormatLMEval = "lm-eval"
	SynthFormatGPT3   = "gpt3"
)

// UnscrambleDescription is the GPT-3 paper's description of the word
// tasks, put before zero- and one-shot prompts in the gpt3 format.
const UnscrambleDescription = "Please unscramble the letters into a word, and write that word:"

// wordMaxTokens is the generation budget of the word tasks in the gpt3
// format: the answers are words of at most 15 letters. The lm-eval format
// has none of its own, as lm-evaluation-harness's unscramble YAMLs set
// no max_gen_toks: the model's default, eval.DefaultMaxGenTokens (256,
// lm-evaluation-harness's default for its Hugging Face backend).
const wordMaxTokens = 20

// maxTokens is the generation cap of a word task's requests, 0 for the
// model's default.
func (t *gpt3SynthTask) maxTokens() int {
	if t.variant.format == SynthFormatLMEval {
		return 0
	}
	return wordMaxTokens
}

// synthVariant is a parsed variant of a synthetic task.
type synthVariant struct {
	format    string
	generated bool
	seed      uint64
}

func (v synthVariant) String() string {
	if !v.generated {
		return v.format
	}
	return fmt.Sprintf("%s+generated:%d", v.format, v.seed)
}

func parseSynthVariant(task, s string) (synthVariant, error) {
	v := synthVariant{format: SynthFormatLMEval, seed: GPT3GenerateSeed}
	if s == "" {
		return v, nil
	}
	for i, part := range strings.Split(s, "+") {
		switch {
		case part == SynthFormatLMEval || part == SynthFormatGPT3:
			if i != 0 {
				return v, fmt.Errorf("task %s: variant %q: the format (%s or %s) comes first", task, s, SynthFormatLMEval, SynthFormatGPT3)
			}
			v.format = part
		case part == "generated" || strings.HasPrefix(part, "generated:"):
			v.generated = true
			if seed, ok := strings.CutPrefix(part, "generated:"); ok {
				n, err := strconv.ParseUint(seed, 10, 64)
				if err != nil {
					return v, fmt.Errorf("task %s: variant %q: seed %q is not a non-negative integer", task, s, seed)
				}
				v.seed = n
			}
		default:
			return v, fmt.Errorf("task %s: unknown variant %q (want %s or %s, optionally followed by +generated or +generated:SEED)", task, s, SynthFormatLMEval, SynthFormatGPT3)
		}
	}
	return v, nil
}

type gpt3SynthTask struct {
	window
	spec    eval.TaskSpec
	items   []gpt3Item
	where   []string
	word    bool
	variant synthVariant
}

// newGPT3Synth builds an arithmetic task (a != nil) or a word task (w != nil).
func newGPT3Synth(name, file string, a *arithmeticSpec, w *wordSpec, o Options) (eval.Task, error) {
	v, err := parseSynthVariant(name, o.Variant)
	if err != nil {
		return nil, err
	}
	t := &gpt3SynthTask{word: w != nil, variant: v}
	t.spec = eval.TaskSpec{Name: name, Version: "1.0-" + v.String(), Description: Description(name),
		Metrics: []eval.Metric{eval.Mean(t.metric(), true)}}
	switch {
	case t.word && v.format == SynthFormatLMEval:
		// 1.1: the metric is exact_match, lm-evaluation-harness's name
		// (was acc). 1.2: no generation cap of kshot's own, as
		// lm-evaluation-harness's unscramble YAMLs set none.
		t.spec.Version = "1.2-" + v.String()
	case t.word:
		t.spec.Version = "1.1-" + v.String()
	}
	rel := "gpt3/" + file + ".jsonl"
	if w != nil {
		rel += ".gz"
	}
	what := "the GPT-3 paper's " + file + " file (openai/gpt-3 data/)"
	switch {
	case a != nil && v.generated:
		if o.DataPath != "" {
			return nil, fmt.Errorf("task %s: the generated variant makes its own problems; --data does not apply", name)
		}
		t.items = generateArithmetic(*a, arithmeticItems, v.seed)
		t.spec.Dataset = fmt.Sprintf("generated in the format of openai/gpt-3 data/%s.jsonl (seed %d)", file, v.seed)
	case w != nil && v.generated:
		path, err := dataFile(name, o, rel, what+" or a word list")
		if err != nil {
			return nil, err
		}
		words, err := readWordList(path)
		if err != nil {
			return nil, err
		}
		if t.items, err = generateWords(*w, words, v.seed); err != nil {
			return nil, fmt.Errorf("task %s: %s: %w", name, path, err)
		}
		t.spec.Dataset = fmt.Sprintf("generated in the format of openai/gpt-3 data/%s.jsonl.gz from the words of %s (seed %d)", file, path, v.seed)
	default:
		path, err := dataFile(name, o, rel, what)
		if err != nil {
			return nil, err
		}
		if t.items, t.where, err = readGPT3Items(path); err != nil {
			return nil, err
		}
		t.spec.Dataset = "openai/gpt-3 data/" + file + ".jsonl"
		if len(t.items) == 0 {
			return nil, fmt.Errorf("task %s: %s holds no documents", name, path)
		}
	}
	return t, nil
}

// readGPT3Items reads records {context, completion}.
func readGPT3Items(path string) ([]gpt3Item, []string, error) {
	var items []gpt3Item
	var where []string
	for row, err := range datasets.Open(path) {
		if err != nil {
			return nil, nil, err
		}
		c, err := row.String("context")
		if err != nil {
			return nil, nil, err
		}
		comp, err := row.String("completion")
		if err != nil {
			return nil, nil, err
		}
		if strings.TrimSpace(comp) == "" {
			return nil, nil, row.Invalid("completion", "is empty")
		}
		items = append(items, gpt3Item{Context: c, Completion: comp})
		where = append(where, row.Where())
	}
	return items, where, nil
}

// readWordList reads the words of a .txt list (one per line) or the
// completions of a file in the released form.
func readWordList(path string) ([]string, error) {
	var words []string
	if isTextForm(path) {
		text, err := datasets.ReadText(path)
		if err != nil {
			return nil, err
		}
		for _, l := range strings.Split(text, "\n") {
			if w := strings.TrimSpace(l); w != "" {
				words = append(words, w)
			}
		}
	} else {
		items, _, err := readGPT3Items(path)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			words = append(words, strings.TrimSpace(it.Completion))
		}
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("%s holds no words", path)
	}
	return words, nil
}

func (t *gpt3SynthTask) Spec() eval.TaskSpec { return t.spec }

// lmEvalArithmetic rewrites a released arithmetic context as
// lm-evaluation-harness does: strip, "\n\n" → "\n", Q: → Question:,
// A: → Answer:.
func lmEvalArithmetic(ctx string) string {
	s := strings.ReplaceAll(strings.TrimSpace(ctx), "\n\n", "\n")
	s = strings.ReplaceAll(s, "Q:", "Question:")
	return strings.ReplaceAll(s, "A:", "Answer:")
}

// example renders item i as a few-shot example (Text is also the query).
func (t *gpt3SynthTask) example(i int) eval.Example {
	it := t.items[i]
	if t.variant.format == SynthFormatLMEval && !t.word {
		return eval.Example{Text: lmEvalArithmetic(it.Context), Target: it.Completion}
	}
	return eval.Example{Text: it.Context, Target: it.Completion}
}

func (t *gpt3SynthTask) fewShot() eval.FewShot {
	switch {
	case t.variant.format == SynthFormatGPT3:
		return eval.FewShot{}
	case t.word:
		return eval.DefaultFewShot()
	}
	return eval.FewShot{TargetDelimiter: "", FewshotDelimiter: "\n\n"}
}

func (t *gpt3SynthTask) Instances(k int, seed uint64) ([]eval.Instance, error) {
	fs := t.fewShot()
	if t.word && t.variant.format == SynthFormatGPT3 && (k == 0 || k == 1) {
		fs.Description = UnscrambleDescription
	}
	pool := make([]eval.Example, len(t.items))
	for i := range pool {
		pool[i] = t.example(i)
	}
	s, err := t.sampler(t.spec.Name, fs, pool, k, seed)
	if err != nil {
		return nil, err
	}
	out := make([]eval.Instance, len(t.items))
	for i, it := range t.items {
		q := pool[i]
		f := fit{tail: q.Text + q.Target}
		if t.word {
			f = fit{tail: q.Text, reserve: genReserve(t.maxTokens())}
		}
		where := ""
		if t.where != nil {
			where = t.where[i]
		}
		exs, err := s.draw(i, i, where, f)
		if err != nil {
			return nil, err
		}
		var req eval.Request = eval.Loglikelihood{Context: fs.Prompt(exs, q.Text), Continuation: it.Completion}
		if t.word {
			req = eval.Generate{Context: fs.Prompt(exs, q.Text), Until: []string{"\n"}, MaxTokens: t.maxTokens(), Parts: fs.Parts(exs, q.Text)}
		}
		out[i] = eval.Instance{DocID: i, Doc: it, Target: it.Completion, Requests: []eval.Request{req}}
	}
	if err := s.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// metric names the task's one metric as lm-evaluation-harness does: acc
// for arithmetic (a greedy continuation), exact_match for the word tasks
// (a generation compared with the answer).
func (t *gpt3SynthTask) metric() string {
	if t.word {
		return "exact_match"
	}
	return "acc"
}

func (t *gpt3SynthTask) Score(inst eval.Instance, resps []eval.Response) (map[string][]float64, error) {
	it := inst.Doc.(gpt3Item)
	switch r := resps[0].(type) {
	case eval.LoglikelihoodResult:
		return map[string][]float64{"acc": eval.MeanStats(eval.Bool(r.Greedy))}, nil
	case eval.GenerateResult:
		return map[string][]float64{t.metric(): eval.MeanStats(eval.Bool(r.Text == it.Completion))}, nil
	}
	return nil, fmt.Errorf("task %s: document %d: unexpected response %T", t.spec.Name, inst.DocID, resps[0])
}
