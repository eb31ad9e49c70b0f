package tasks

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

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
// lm-evaluation-harness groups them, or lm-evaluation-harness's own
// EleutherAI/race {article, problems} (raceProblems).
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
			d, err := raceProblems(row, article)
			if err != nil {
				return nil, err
			}
			docs = append(docs, d)
			continue
		}
		f, err := rowStrings(row, "question", "answer")
		if err != nil {
			return nil, fmt.Errorf("%w; records are {article, questions, options, answers} (one article, the original release) or {article, question, options, answer} (one question, ehovy/race) or {article, problems} (EleutherAI/race)", err)
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

// raceProblems reads a row of EleutherAI/race, lm-evaluation-harness's
// copy: {article, problems}, problems a Python literal (a string) of a
// list of {question, options, answer}.
func raceProblems(row datasets.Row, article string) (raceArticle, error) {
	lit, err := row.String("problems")
	if err != nil {
		return raceArticle{}, err
	}
	v, err := parsePyLiteral(lit)
	if err != nil {
		return raceArticle{}, row.Invalid("problems", "is not a Python list literal: %v", err)
	}
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return raceArticle{}, row.Invalid("problems", "is not a non-empty list")
	}
	d := raceArticle{article: article, where: row.Where()}
	for i, item := range list {
		m, ok := item.(map[string]any)
		q, qok := m["question"].(string)
		a, aok := m["answer"].(string)
		raw, _ := m["options"].([]any)
		var opts []string
		for _, o := range raw {
			if s, isStr := o.(string); isStr {
				opts = append(opts, s)
			}
		}
		if !ok || !qok || !aok || len(opts) < 2 || len(opts) != len(raw) {
			return raceArticle{}, row.Invalid(fmt.Sprintf("problems[%d]", i), "is not {question, options (at least 2 strings), answer}")
		}
		ans, err := raceAnswer(row, fmt.Sprintf("problems[%d].answer", i), a, len(opts))
		if err != nil {
			return raceArticle{}, err
		}
		d.problems = append(d.problems, raceProblem{question: q, options: opts, answer: ans})
	}
	return d, nil
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

// parsePyLiteral parses the subset of Python literals that
// EleutherAI/race's problems column holds — lists, dicts with string keys
// and strings in either quote with Python's escapes — into []any,
// map[string]any and string. It is what ast.literal_eval returns for
// that column, and an error for anything else.
func parsePyLiteral(s string) (any, error) {
	p := pyParser{s: s}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	if p.skip(); p.i != len(p.s) {
		return nil, fmt.Errorf("unexpected %q after the literal at offset %d", p.s[p.i:min(len(p.s), p.i+10)], p.i)
	}
	return v, nil
}

type pyParser struct {
	s string
	i int
}

func (p *pyParser) skip() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *pyParser) value() (any, error) {
	p.skip()
	if p.i >= len(p.s) {
		return nil, fmt.Errorf("the literal ends early at offset %d", p.i)
	}
	switch c := p.s[p.i]; c {
	case '[', '{':
		end := byte(']')
		if c == '{' {
			end = '}'
		}
		p.i++
		var list []any
		dict := map[string]any{}
		for first := true; ; first = false {
			p.skip()
			if p.i < len(p.s) && p.s[p.i] == end {
				p.i++
				if c == '{' {
					return dict, nil
				}
				return list, nil
			}
			if !first {
				if p.i >= len(p.s) || p.s[p.i] != ',' {
					return nil, fmt.Errorf("want ',' or %q at offset %d", end, p.i)
				}
				p.i++
				p.skip()
				if p.i < len(p.s) && p.s[p.i] == end { // trailing comma
					continue
				}
			}
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			if c == '[' {
				list = append(list, v)
				continue
			}
			key, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("a dict key at offset %d is not a string", p.i)
			}
			if p.skip(); p.i >= len(p.s) || p.s[p.i] != ':' {
				return nil, fmt.Errorf("want ':' at offset %d", p.i)
			}
			p.i++
			if dict[key], err = p.value(); err != nil {
				return nil, err
			}
		}
	case '\'', '"':
		return p.str(c)
	}
	return nil, fmt.Errorf("unexpected %q at offset %d (want a list, dict or string)", p.s[p.i], p.i)
}

// str reads a string literal quoted by q, undoing Python's escapes.
func (p *pyParser) str(q byte) (string, error) {
	start := p.i
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == q:
			p.i++
			return b.String(), nil
		case c == '\n':
			return "", fmt.Errorf("a string at offset %d runs past the end of its line", start)
		case c != '\\':
			b.WriteByte(c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.s) {
			break
		}
		e := p.s[p.i+1]
		p.i += 2
		if r, ok := map[byte]string{'\\': `\`, '\'': `'`, '"': `"`, 'n': "\n", 't': "\t", 'r': "\r", 'a': "\a", 'b': "\b", 'f': "\f", 'v': "\v", '\n': ""}[e]; ok {
			b.WriteString(r)
			continue
		}
		digits := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
		if digits == 0 || p.i+digits > len(p.s) {
			return "", fmt.Errorf("unsupported escape \\%c at offset %d", e, p.i-2)
		}
		n, err := strconv.ParseUint(p.s[p.i:p.i+digits], 16, 32)
		if err != nil || n > unicode.MaxRune {
			return "", fmt.Errorf("bad escape \\%c%s at offset %d", e, p.s[p.i:p.i+digits], p.i-2)
		}
		b.WriteRune(rune(n))
		p.i += digits
	}
	return "", fmt.Errorf("a string at offset %d is not closed", start)
}
