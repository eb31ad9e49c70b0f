package tasks

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/kshot-eval/kshot/datasets"
	"github.com/kshot-eval/kshot/datasets/hub"
	"github.com/kshot-eval/kshot/eval"
)

func init() {
	Register("wikitext2", Decl{Description: "WikiText-2 raw test pages: rolling log-likelihood; word/byte perplexity, bits per byte", ZeroShotOnly: true, Kind: eval.KindRolling, Metrics: wikitextMetrics}, func(o Options) (eval.Task, error) {
		return newWikitext("wikitext2", hub.Dataset{Repo: "EleutherAI/wikitext_document_level", Config: "wikitext-2-raw-v1", Split: "test"}, "wikitext2/wiki.test.raw", o)
	})
	Register("wikitext103", Decl{Description: "WikiText-103 raw test pages: rolling log-likelihood; word/byte perplexity, bits per byte", ZeroShotOnly: true, Kind: eval.KindRolling, Metrics: wikitextMetrics}, func(o Options) (eval.Task, error) {
		return newWikitext("wikitext103", hub.Dataset{Repo: "EleutherAI/wikitext_document_level", Config: "wikitext-103-raw-v1", Split: "test"}, "wikitext103/wiki.test.raw", o)
	})
	Register("ptb", Decl{Description: "Penn Treebank test set (Mikolov) as one stream: word perplexity, bits per byte", ZeroShotOnly: true, Kind: eval.KindRolling, Metrics: wikitextMetrics}, func(o Options) (eval.Task, error) {
		path, err := dataFile("ptb", o, "ptb/ptb.test.txt", "the PTB test set (ptb.test.txt)")
		if err != nil {
			return nil, err
		}
		text, err := datasets.ReadText(path)
		if err != nil {
			return nil, err
		}
		return newStream("ptb", "ptb_text_only (penn_treebank, test)", []string{text}, PTBDetokenize, o), nil
	})
	Register("enwik8", Decl{Description: "enwik8 test split (last 5 MB) as one byte stream: bits per byte", ZeroShotOnly: true, Kind: eval.KindRolling, Metrics: []string{"bits_per_byte"}}, func(o Options) (eval.Task, error) {
		return newHutter("enwik8", o)
	})
	Register("text8", Decl{Description: "text8 test split (last 5 M characters) as one stream: bits per character", ZeroShotOnly: true, Kind: eval.KindRolling, Metrics: []string{"bits_per_byte"}}, func(o Options) (eval.Task, error) {
		return newHutter("text8", o)
	})
}

// WikitextPages splits a WikiText raw file into pages as the dataset
// script behind EleutherAI/wikitext_document_level does: lines are split
// on "\n"; a line whose text, after "= = =" → "===" and "= =" → "==" and
// trimming, starts with "= " and ends with " =" opens a new page (a
// level-1 heading); a page is its lines joined with "\n"; pages that are
// only whitespace are dropped, except the last.
func WikitextPages(raw string) []string {
	pages, _ := wikitextPages(raw)
	return pages
}

// wikitextPages is WikitextPages, also counting the whitespace-only
// chunks it dropped.
func wikitextPages(raw string) (pages []string, dropped int) {
	var cur []string
	for _, line := range strings.Split(raw, "\n") {
		r := strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(line, "= = =", "==="), "= =", "=="))
		if strings.HasPrefix(r, "= ") && strings.HasSuffix(r, " =") {
			if page := strings.Join(cur, "\n"); strings.TrimSpace(page) != "" {
				pages = append(pages, page)
			} else if len(cur) > 0 {
				dropped++
			}
			cur = cur[:0]
		}
		cur = append(cur, line)
	}
	return append(pages, strings.Join(cur, "\n")), dropped
}

// pyS is Python's \s for str patterns (Unicode whitespace).
const pyS = `[\t\n\v\f\r \x{1c}-\x{1f}\x{85}\p{Z}]`

var (
	reQuoteDigit = regexp.MustCompile(`/' [0-9]/`)
	reParens     = regexp.MustCompile(`\(` + pyS + `*([^\)]*?)` + pyS + `*\)`)
	reBrackets   = regexp.MustCompile(`\[` + pyS + `*([^\]]*?)` + pyS + `*\]`)
	reBraces     = regexp.MustCompile(`\{` + pyS + `*([^}]*?)` + pyS + `*\}`)
	reDQuotes    = regexp.MustCompile(`"` + pyS + `*([^"]*?)` + pyS + `*"`)
	reSQuotes    = regexp.MustCompile(`'` + pyS + `*([^']*?)` + pyS + `*'`)
)

// WikitextDetokenize undoes WikiText's tokenisation exactly as
// lm-evaluation-harness's wikitext_detokenizer does (the GPT-2 paper's
// invertible detokenisers).
func WikitextDetokenize(s string) string {
	s = strings.ReplaceAll(s, "s '", "s'")
	s = reQuoteDigit.ReplaceAllString(s, "/'[0-9]/")
	for _, p := range [][2]string{
		{" @-@ ", "-"}, {" @,@ ", ","}, {" @.@ ", "."},
		{" : ", ": "}, {" ; ", "; "}, {" . ", ". "}, {" ! ", "! "}, {" ? ", "? "}, {" , ", ", "},
	} {
		s = strings.ReplaceAll(s, p[0], p[1])
	}
	s = reParens.ReplaceAllString(s, "(${1})")
	s = reBrackets.ReplaceAllString(s, "[${1}]")
	s = reBraces.ReplaceAllString(s, "{${1}}")
	s = reDQuotes.ReplaceAllString(s, `"${1}"`)
	s = reSQuotes.ReplaceAllString(s, "'${1}'")
	for _, p := range [][2]string{
		{"= = = =", "===="}, {"= = =", "==="}, {"= =", "=="},
		{" \u00b0 ", "\u00b0"}, {" \n", "\n"}, {"\n ", "\n"}, {" N ", " 1 "}, {" 's", "'s"},
	} {
		s = strings.ReplaceAll(s, p[0], p[1])
	}
	return s
}

// PTBDetokenize turns Mikolov's PTB text into running text: one sentence
// per line without the leading space, contractions re-attached. Words are
// counted on the original text (with one end-of-sentence per line, as PTB
// perplexities are conventionally reported).
func PTBDetokenize(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		l = strings.TrimSpace(l)
		l = strings.ReplaceAll(l, " n't", "n't")
		l = strings.ReplaceAll(l, " 's", "'s")
		l = strings.ReplaceAll(l, " 're", "'re")
		l = strings.ReplaceAll(l, " 've", "'ve")
		l = strings.ReplaceAll(l, " 'll", "'ll")
		l = strings.ReplaceAll(l, " 'd", "'d")
		l = strings.ReplaceAll(l, " 'm", "'m")
		lines[i] = l
	}
	return strings.Join(lines, "\n") + "\n"
}

// perplexityDoc is one document of a perplexity task.
type perplexityDoc struct {
	Page string `json:"page"` // original text: words and bytes are counted here
}

type perplexityTask struct {
	drops
	spec   eval.TaskSpec
	docs   []perplexityDoc
	detok  func(string) string
	stride int
	words  func(string) int
}

// newWikitext reads the raw test file (split into pages here) or the Hub's
// document-level Parquet (one "page" per row, split the same way).
func newWikitext(name string, src hub.Dataset, rel string, o Options) (eval.Task, error) {
	paths, err := dataFiles(name, o, rel, "the WikiText raw test file (wiki.test.raw)", src)
	if err != nil {
		return nil, err
	}
	var pages []string
	dropped := 0 // whitespace-only chunks of a raw file
	if strings.HasSuffix(paths[0], ".parquet") {
		for row, err := range datasets.OpenAll(paths) {
			if err != nil {
				return nil, err
			}
			page, err := row.String("page")
			if err != nil {
				return nil, err
			}
			pages = append(pages, page)
		}
	} else {
		raw, err := datasets.ReadText(paths[0])
		if err != nil {
			return nil, err
		}
		pages, dropped = wikitextPages(raw)
		if len(pages) == 1 && strings.TrimSpace(pages[0]) == "" {
			return nil, fmt.Errorf("task %s: %s has no page to evaluate: all %d chunks between level-1 headings (\" = Title = \" lines) are only whitespace, which WikiText's dataset script drops", name, paths[0], dropped+1)
		}
	}
	t := newStream(name, src.String(), pages, WikitextDetokenize, o)
	t.spec.Version = strings.Replace(t.spec.Version, "1.0", "2.0", 1) // keeps newStream's -strideN
	t.add(dropped, dropped+len(pages), "chunks between headings",
		"only whitespace (the WikiText dataset script's rule; the raw file's first chunk, before the first heading, always is)")
	return t, nil
}

// newStream builds a perplexity task over the given documents.
func newStream(name, dataset string, docs []string, detok func(string) string, o Options) *perplexityTask {
	t := &perplexityTask{detok: detok, stride: o.RollingStride, words: eval.CountWords}
	t.spec = eval.TaskSpec{Name: name, Version: "1.0", Dataset: dataset, Description: Description(name),
		Metrics: []eval.Metric{eval.WeightedPerplexity("word_perplexity"), eval.WeightedPerplexity("byte_perplexity"), eval.BitsPerByte()}}
	if name == "ptb" {
		t.words = func(s string) int { return len(strings.Fields(s)) + strings.Count(s, "\n") }
	}
	if o.RollingStride > 0 {
		t.spec.Version += fmt.Sprintf("-stride%d", o.RollingStride)
	}
	for _, d := range docs {
		t.docs = append(t.docs, perplexityDoc{Page: d})
	}
	return t
}

// newHutter reads enwik8 or text8: the whole 100 MB file (the last 5 MB
// are the test split) or an already-cut test file, scored as bytes.
func newHutter(name string, o Options) (eval.Task, error) {
	path, err := dataFile(name, o, name+"/"+name, "the "+name+" file")
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("task %s: %w", name, err)
	}
	const full, test = 100_000_000, 5_000_000
	if len(raw) == full {
		raw = raw[full-test:]
	}
	t := newStream(name, "the Hutter Prize file "+name+" (last 5 MB)", []string{string(raw)}, func(s string) string { return s }, o)
	t.spec.Metrics = []eval.Metric{eval.BitsPerByte()}
	return t, nil
}

func (t *perplexityTask) Spec() eval.TaskSpec { return t.spec }

func (t *perplexityTask) Instances(k int, seed uint64) ([]eval.Instance, error) {
	if k != 0 {
		return nil, fmt.Errorf("%s is a perplexity task: it has no few-shot form; use --shots 0", t.spec.Name)
	}
	out := make([]eval.Instance, len(t.docs))
	for i, d := range t.docs {
		out[i] = eval.Instance{DocID: i, Doc: d, Requests: []eval.Request{eval.Rolling{Text: t.detok(d.Page), Stride: t.stride}}}
	}
	return out, nil
}

func (t *perplexityTask) Score(inst eval.Instance, resps []eval.Response) (map[string][]float64, error) {
	r := resps[0].(eval.RollingResult)
	page := inst.Doc.(perplexityDoc).Page
	words, bytes := float64(t.words(page)), float64(len(page))
	return map[string][]float64{
		"word_perplexity": eval.WeightedStats(r.LogProb, words),
		"byte_perplexity": eval.WeightedStats(r.LogProb, bytes),
		"bits_per_byte":   eval.WeightedStats(r.LogProb, bytes),
	}, nil
}
