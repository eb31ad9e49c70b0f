package tasks

import (
	"fmt"
	"strings"

	"github.com/kshot-eval/kshot/datasets"
	"github.com/kshot-eval/kshot/datasets/hub"
	"github.com/kshot-eval/kshot/eval"
)

// One Billion Word (the GPT-2 paper's 1BW perplexity) and the GPT-3
// paper's SAT analogies, two tasks whose data kshot does not ship.
func init() {
	Register("lm1b", Decl{Description: "One Billion Word benchmark test shard (news.en.heldout-00000-of-00050): each sentence scored alone, detokenised; word perplexity (one end of sentence per line), bits per byte", ZeroShotOnly: true, Kind: eval.KindRolling, Metrics: wikitextMetrics}, newLM1B)
	Register("sat_analogies", Decl{Description: "SAT analogy questions (374; data supplied by the user): \"a is to b as\" + \" c is to d\", 5 options; acc, acc_norm, acc_token", Kind: eval.KindMultipleChoice, Metrics: mcDeclMetrics}, newSAT)
}

// LM1BHeldout is the file of One Billion Word's test set, the first of
// the 50 heldout shards of the release's
// heldout-monolingual.tokenized.shuffled directory.
const LM1BHeldout = "news.en.heldout-00000-of-00050"

// LM1BDetokenize turns one tokenised 1BW sentence into running text and
// ends it with a newline (the end of sentence the word count includes):
// the space before , . ; : ? ! % ) and clitics ('s, n't, 're, 've, 'll,
// 'd, 'm) removed, the space after ( and $ removed, and straight double
// quotes attached to the words they enclose, taking them to open and
// close in turn.
func LM1BDetokenize(s string) string {
	words := strings.Fields(s)
	var b strings.Builder
	open := false // a " has been opened and not closed
	glue := true  // the next word attaches without a space
	for _, w := range words {
		attachLeft := false
		switch w {
		case ",", ".", ";", ":", "?", "!", "%", ")", "'s", "n't", "'re", "'ve", "'ll", "'d", "'m", "...":
			attachLeft = true
		case `"`:
			attachLeft = open
		}
		if !glue && !attachLeft {
			b.WriteByte(' ')
		}
		b.WriteString(w)
		glue = w == "(" || w == "$" || (w == `"` && !open)
		if w == `"` {
			open = !open
		}
	}
	return b.String() + "\n"
}

// newLM1B reads the test shard as text (one tokenised sentence per line)
// or rows with a text field (JSON Lines, Parquet). From the Hub it reads
// billion-word-benchmark/lm1b, whose test split holds all 50 heldout
// shards (306,688 sentences, not the benchmark's 6,075 of shard 00000):
// the version and dataset name say so, since its perplexity is not the
// benchmark's.
func newLM1B(o Options) (eval.Task, error) {
	src := hub.Dataset{Repo: "billion-word-benchmark/lm1b", Config: "plain_text", Split: "test"}
	paths, err := dataFiles("lm1b", o, "lm1b/"+LM1BHeldout, "One Billion Word's test shard ("+LM1BHeldout+")", src)
	if err != nil {
		return nil, err
	}
	var sentences []string
	blank := 0
	add := func(s string) {
		if strings.TrimSpace(s) == "" {
			blank++
			return
		}
		sentences = append(sentences, strings.TrimSpace(s)+"\n")
	}
	dataset := "One Billion Word, " + LM1BHeldout
	hubAll := strings.HasSuffix(paths[0], ".parquet") && o.DataPath == ""
	if strings.HasSuffix(paths[0], ".parquet") || strings.HasSuffix(paths[0], ".jsonl") || strings.HasSuffix(paths[0], ".json") {
		for row, err := range datasets.OpenAll(paths) {
			if err != nil {
				return nil, err
			}
			s, err := row.String("text")
			if err != nil {
				return nil, err
			}
			add(s)
		}
	} else {
		text, err := datasets.ReadText(paths[0])
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
			add(strings.TrimRight(line, "\r"))
		}
	}
	if len(sentences) == 0 {
		return nil, fmt.Errorf("task lm1b: %s holds no sentences", paths[0])
	}
	if hubAll {
		dataset = src.String() + ": all 50 heldout shards, not the benchmark's test shard"
	}
	t := newStream("lm1b", dataset, sentences, LM1BDetokenize, o)
	t.words = func(s string) int { return len(strings.Fields(s)) + strings.Count(s, "\n") }
	if hubAll {
		t.spec.Version += "-heldout-all"
	}
	t.add(blank, blank+len(sentences), "lines", "blank (a sentence per line; a blank line holds none)")
	return t, nil
}

// satRecord is one SAT question: its source line, the stem pair, five
// choice pairs and the answer letter a–e.
type satRecord struct {
	source, stem string
	choices      []string
	solution     string
	where        string
}

// readSATText reads Turney's SAT-package-V3.txt: records separated by
// blank lines, lines starting with # are comments; a record's last 8
// lines are its source ("190 FROM REAL SATs"), the stem ("lull trust
// v:n"), five choices in the same form and the answer letter.
func readSATText(path string) ([]satRecord, error) {
	text, err := datasets.ReadText(path)
	if err != nil {
		return nil, err
	}
	return parseSATText(text, path)
}

// parseSATText parses the text of readSATText read from path.
func parseSATText(text, path string) ([]satRecord, error) {
	var out []satRecord
	var rec []string
	start := 0
	flush := func() error {
		if len(rec) == 0 {
			return nil
		}
		if len(rec) < 8 {
			return fmt.Errorf("%s:%d: a SAT record has %d lines, want at least 8 (source, stem, 5 choices, answer letter)", path, start, len(rec))
		}
		r := rec[len(rec)-8:]
		out = append(out, satRecord{source: r[0], stem: r[1], choices: r[2:7], solution: r[7], where: fmt.Sprintf("%s:%d", path, start)})
		rec = nil
		return nil
	}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			if err := flush(); err != nil {
				return nil, err
			}
		case line[0] == '#':
		default:
			if len(rec) == 0 {
				start = i + 1
			}
			rec = append(rec, line)
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// satPair formats a stem or choice line "word1 word2 pos:pos" as
// "word1 is to word2".
func satPair(line string) (string, bool) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return "", false
	}
	return f[0] + " is to " + f[1], true
}

// newSAT reads SAT analogies from the user's file: Turney's text form
// (SAT-package-V3.txt, see readSATText) or JSON Lines rows {stem,
// choices, solution} with the same lines as fields. The context is
// "a is to b as", each option " c is to d" (lm-evaluation-harness's
// former sat task and the GPT-3 paper's Figure G.12).
func newSAT(o Options) (eval.Task, error) {
	path, err := localDataFile("sat_analogies", o, "sat/SAT-package-V3.txt", "the SAT analogy questions (SAT-package-V3.txt; request them from Peter Turney, they are not public)")
	if err != nil {
		return nil, err
	}
	var recs []satRecord
	if isTextForm(path) {
		recs, err = readSATText(path)
	} else {
		for row, rerr := range datasets.Open(path) {
			if rerr != nil {
				return nil, rerr
			}
			var r satRecord
			if r.stem, err = row.String("stem"); err != nil {
				return nil, err
			}
			if r.choices, err = row.Strings("choices"); err != nil {
				return nil, err
			}
			if r.solution, err = row.String("solution"); err != nil {
				return nil, err
			}
			r.where = row.Where()
			recs = append(recs, r)
		}
	}
	if err != nil {
		return nil, err
	}
	docs := make([]mcDoc, 0, len(recs))
	for _, r := range recs {
		stem, ok := satPair(r.stem)
		if !ok {
			return nil, fmt.Errorf("%s: stem %q is not two words (\"lull trust v:n\")", r.where, r.stem)
		}
		d := mcDoc{Contexts: []string{stem + " as"}, Where: r.where}
		for _, c := range r.choices {
			p, ok := satPair(c)
			if !ok {
				return nil, fmt.Errorf("%s: choice %q is not two words (\"cajole compliance v:n\")", r.where, c)
			}
			d.Choices = append(d.Choices, p)
		}
		sol := strings.TrimSpace(r.solution)
		if len(sol) != 1 || sol[0] < 'a' || int(sol[0]-'a') >= len(d.Choices) {
			return nil, fmt.Errorf("%s: answer %q is not a letter a to %c naming one of the %d choices", r.where, r.solution, 'a'+len(d.Choices)-1, len(d.Choices))
		}
		d.Gold = int(sol[0] - 'a')
		docs = append(docs, d)
	}
	return newMCTask("sat_analogies", "1.0", "SAT analogy questions (Turney 2006), user file", path, docs, false, mcMetrics...)
}
