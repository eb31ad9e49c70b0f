package tasks

import (
	"fmt"
	"strings"

	"github.com/kshot-eval/kshot/datasets"
	"github.com/kshot-eval/kshot/datasets/hub"
	"github.com/kshot-eval/kshot/eval"
)

// RACE (high and middle school) and Adversarial NLI (rounds 1–3), two of
// the GPT-3 paper's multiple-choice tasks.
//
// RACE is evaluated as lm-evaluation-harness and the GPT-3 paper do: one
// document per article, whose last question is the one scored, its
// earlier questions shown with their correct answers in the context.
//   - lm-eval (default): "Article: {article}\n\n", then per earlier question
//     "Question: {q}\nAnswer: {a}\n" (a fill-in question ending "  _  ."
//     is written with its answer in the blank instead), then the last
//     question; acc_uncond scores each option after "Answer:" alone;
//   - gpt3: Figures G.1 and G.3: "Article: {article}\n", then
//     "Q: {q}\nA: {a}\n" per earlier question, then "Q: {q}\nA:" (line
//     breaks as kshot reads the figures); acc_uncond scores each option
//     after "A:" alone, the paper's normalisation for RACE (§2.4).
//
// ANLI: lm-eval "{premise}\nQuestion: {hypothesis} True, False, or
// Neither?\nAnswer:" (options True, Neither, False for entailment,
// neutral, contradiction); gpt3 (Figures G.2, G.7, G.10) "anli N: anli N:
// {premise}\nQuestion: {hypothesis} True, False, or Neither?" — the
// repeated prefix is printed so in the paper — with the same options.
func init() {
	raceDecl := func(level string) Decl {
		return Decl{Description: "RACE-" + level[:1] + " (" + level + " school, test): the article's last question, its earlier questions answered in the context; acc, acc_norm, acc_token, acc_uncond (variants lm-eval, gpt3)",
			Variants: mcVariants, Kind: eval.KindMultipleChoice, Metrics: uncondDeclMetrics}
	}
	Register("race_high", raceDecl("high"), func(o Options) (eval.Task, error) { return newRACE("race_high", "high", o) })
	Register("race_middle", raceDecl("middle"), func(o Options) (eval.Task, error) { return newRACE("race_middle", "middle", o) })
	for r := 1; r <= 3; r++ {
		name := fmt.Sprintf("anli_r%d", r)
		Register(name, Decl{Description: fmt.Sprintf("Adversarial NLI round %d (test): True/Neither/False for entailment/neutral/contradiction; acc, acc_norm, acc_token (variants lm-eval, gpt3)", r),
			Variants: mcVariants, Kind: eval.KindMultipleChoice, Metrics: mcDeclMetrics}, func(o Options) (eval.Task, error) { return newANLI(name, r, o) })
	}
}

// raceProblem is one question of a RACE article.
type raceProblem struct {
	question string
	options  []string
	answer   int
}

// raceArticle is one RACE document: an article and its questions in the
// dataset's order.
type raceArticle struct {
	article  string
	problems []raceProblem
	where    string
}

// raceAnswer converts a RACE answer letter to an option index.
func raceAnswer(row datasets.Row, key, letter string, options int) (int, error) {
	l := strings.TrimSpace(letter)
	if len(l) != 1 || l[0] < 'A' || int(l[0]-'A') >= options {
		return 0, row.Invalid(key, "is %q, want a letter naming one of the %d options", letter, options)
	}
	return int(l[0] - 'A'), nil
}

// readRACE reads RACE in its original form, one article per record
// {article, questions, options, answers} (kshot's shared files: the
// release's one-JSON-object-per-file, concatenated), or one question per
// record {article, question, options, answer} (the Hub's ehovy/race),
// grouped by article text in order of first appearance as
// lm-evaluation-harness groups them.
func readRACE(path string) ([]raceArticle, error) {
	var docs []raceArticle
	byText := map[string]int{}
	for row, err := range datasets.Open(path) {
		if err != nil {
			return nil, err
		}
		article, err := row.String("article")
		if err != nil {
			return nil, err
		}
		if _, perArticle := row.Get("questions"); perArticle {
			qs, err := row.Strings("questions")
			if err != nil {
				return nil, err
			}
			answers, err := row.Strings("answers")
			if err != nil {
				return nil, err
			}
			raw, _ := row.Get("options")
			lists, _ := raw.([]any)
			if len(qs) == 0 || len(answers) != len(qs) || len(lists) != len(qs) {
				return nil, row.Invalid("questions", "has %d questions, %d answers and %d option lists; they must match and not be empty", len(qs), len(answers), len(lists))
			}
			d := raceArticle{article: article, where: row.Where()}
			for i, q := range qs {
				var os []string
				l, ok := lists[i].([]any)
				for _, o := range l {
					s, isStr := o.(string)
					ok = ok && isStr
					os = append(os, s)
				}
				if !ok || len(os) < 2 {
					return nil, row.Invalid(fmt.Sprintf("options[%d]", i), "is not a list of at least 2 strings")
				}
				a, err := raceAnswer(row, fmt.Sprintf("answers[%d]", i), answers[i], len(os))
				if err != nil {
					return nil, err
				}
				d.problems = append(d.problems, raceProblem{question: q, options: os, answer: a})
			}
			docs = append(docs, d)
			continue
		}
		if _, ok := row.Get("problems"); ok {
			return nil, row.Invalid("problems", "is EleutherAI/race's Python-literal column, which kshot does not parse; read the original files or ehovy/race (one question per row)")
		}
		f, err := rowStrings(row, "question", "answer")
		if err != nil {
			return nil, fmt.Errorf("%w; records are {article, questions, options, answers} (one article, the original release) or {article, question, options, answer} (one question, ehovy/race)", err)
		}
		os, err := row.Strings("options")
		if err != nil {
			return nil, err
		}
		a, err := raceAnswer(row, "answer", f[1], len(os))
		if err != nil {
			return nil, err
		}
		i, seen := byText[article]
		if !seen {
			i = len(docs)
			byText[article] = i
			docs = append(docs, raceArticle{article: article, where: row.Where()})
		}
		docs[i].problems = append(docs[i].problems, raceProblem{question: f[0], options: os, answer: a})
	}
	return docs, nil
}

// raceContext is the context of article d in the variant's format: the
// article, its earlier questions with their answers, its last question.
func raceContext(d raceArticle, variant string) string {
	var b strings.Builder
	last := d.problems[len(d.problems)-1]
	if variant == MCVariantGPT3 {
		b.WriteString("Article: " + d.article + "\n")
		for _, p := range d.problems[:len(d.problems)-1] {
			b.WriteString("Q: " + p.question + "\nA: " + p.options[p.answer] + "\n")
		}
		b.WriteString("Q: " + last.question + "\nA:")
		return b.String()
	}
	b.WriteString("Article: " + d.article + "\n\n")
	for _, p := range d.problems[:len(d.problems)-1] {
		if strings.HasSuffix(p.question, "  _  .") {
			b.WriteString(p.question[:len(p.question)-5] + p.options[p.answer] + "\n")
		} else {
			b.WriteString("Question: " + p.question + "\nAnswer: " + p.options[p.answer] + "\n")
		}
	}
	b.WriteString(last.question)
	return b.String()
}

func newRACE(name, level string, o Options) (eval.Task, error) {
	variant, err := mcVariant(name, o.Variant)
	if err != nil {
		return nil, err
	}
	src := hub.Dataset{Repo: "ehovy/race", Config: level, Split: "test"}
	paths, err := dataFiles(name, o, "race/race_test_"+level+".jsonl", "RACE's "+level+"-school test set", src)
	if err != nil {
		return nil, err
	}
	if len(paths) != 1 {
		return nil, fmt.Errorf("task %s: %s has %d Parquet files; this task reads one (download them and pass --data %s=PATH for the first)", name, src, len(paths), name)
	}
	articles, err := readRACE(paths[0])
	if err != nil {
		return nil, err
	}
	docs := make([]mcDoc, len(articles))
	for i, a := range articles {
		last := a.problems[len(a.problems)-1]
		docs[i] = mcDoc{Contexts: []string{raceContext(a, variant)}, Choices: last.options, Gold: last.answer, Where: a.where}
	}
	t, err := newMCTask(name, "1.0-"+variant, src.String(), paths[0], docs, true, uncondMetrics...)
	if err != nil {
		return nil, err
	}
	if variant == MCVariantGPT3 {
		t.uncondContext = "A:"
	}
	return t, nil
}

// newANLI reads ANLI's {premise or context, hypothesis, label} with the
// label an integer (0 entailment, 1 neutral, 2 contradiction, the Hub's
// facebook/anli) or a letter e, n, c (the original release's JSON Lines).
func newANLI(name string, round int, o Options) (eval.Task, error) {
	variant, err := mcVariant(name, o.Variant)
	if err != nil {
		return nil, err
	}
	split := fmt.Sprintf("test_r%d", round)
	src := hub.Dataset{Repo: "facebook/anli", Config: "plain_text", Split: split}
	paths, err := dataFiles(name, o, fmt.Sprintf("anli/anli_R%d_test.jsonl", round), fmt.Sprintf("ANLI round %d's test set", round), src)
	if err != nil {
		return nil, err
	}
	if len(paths) != 1 {
		return nil, fmt.Errorf("task %s: %s has %d Parquet files; this task reads one (download them and pass --data %s=PATH for the first)", name, src, len(paths), name)
	}
	prefix := ""
	q, a := "\nQuestion: ", " True, False, or Neither?\nAnswer:"
	if variant == MCVariantGPT3 {
		prefix = fmt.Sprintf("anli %d: anli %d: ", round, round)
		a = " True, False, or Neither?"
	}
	docs, err := readMC(paths[0], "{premise or context, hypothesis, label} (facebook/anli or the original release)", func(row datasets.Row) (mcDoc, error) {
		key := "premise"
		if _, ok := row.Get(key); !ok {
			key = "context"
		}
		f, err := rowStrings(row, key, "hypothesis")
		if err != nil {
			return mcDoc{}, err
		}
		gold, err := superglueLabel(row, "label", "e", "n", "c")
		if err != nil {
			return mcDoc{}, err
		}
		return mcDoc{Contexts: []string{prefix + f[0] + q + f[1] + a}, Choices: []string{"True", "Neither", "False"}, Gold: gold}, nil
	})
	if err != nil {
		return nil, err
	}
	return newMCTask(name, "1.0-"+variant, src.String(), paths[0], docs, false, mcMetrics...)
}
