package tasks

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/sharedtest"
)

var update = flag.Bool("update", false, "rewrite the request-hash goldens in testdata/")

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func instances(t *testing.T, name string, o Options, k int) []eval.Instance {
	t.Helper()
	task, err := New(name, o)
	if err != nil {
		t.Fatal(err)
	}
	in, err := task.Instances(k, 1234)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestLambadaRequests(t *testing.T) {
	p := writeFile(t, "l.jsonl", `{"text": "He opened the door and saw his dog Rex. He said hello to Rex"}`+"\n"+
		`{"context": "She liked the", "continuation": "cake"}`+"\n")
	in := instances(t, "lambada_openai", Options{DataPath: p}, 0)
	want := []eval.Loglikelihood{
		{Context: "He opened the door and saw his dog Rex. He said hello to", Continuation: " Rex"},
		{Context: "She liked the", Continuation: " cake"},
	}
	for i, w := range want {
		if got := in[i].Requests[0]; got != w {
			t.Errorf("doc %d: %+v, want %+v", i, got, w)
		}
	}
	res := []eval.Response{eval.LoglikelihoodResult{LogProb: -2, Greedy: true, Tokens: 1}}
	task, _ := New("lambada_openai", Options{DataPath: p})
	s, err := task.Score(in[0], res)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s["acc"], []float64{1, 1}) || !reflect.DeepEqual(s["perplexity"], []float64{-2, 1}) {
		t.Errorf("stats %v", s)
	}
	// stop-word filter: a generation " the dog" predicts "the"; " Rex." predicts "Rex".
	st, _ := New("lambada_openai_stopfilter", Options{DataPath: p})
	sin, _ := st.Instances(0, 1)
	g := sin[0].Requests[0].(eval.Generate)
	if !contains(g.Exclude, "the") || contains(g.Exclude, "rex") {
		t.Errorf("stop words %v", g.Exclude)
	}
	for gen, want := range map[string]float64{" Rex.": 1, " rex": 0, " Rex's": 0, "Rex\n": 1} {
		s, _ := st.Score(sin[0], []eval.Response{eval.GenerateResult{Text: gen}})
		if s["acc"][0] != want {
			t.Errorf("generation %q: acc %v, want %v", gen, s["acc"][0], want)
		}
	}
	if len(StopWords) != 179 {
		t.Errorf("%d stop words, want NLTK's 179", len(StopWords))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestWikitextPages(t *testing.T) {
	raw := " \n = Alpha = \n \n Some text @-@ here . \n \n = = Section = = \n \n More ( x ) \n = Beta = \n \n Tail \n"
	pages := WikitextPages(raw)
	want := []string{
		" ",
		" = Alpha = \n \n Some text @-@ here . \n \n = = Section = = \n \n More ( x ) ",
		" = Beta = \n \n Tail \n",
	}
	// The first chunk (" ") is only whitespace and is dropped.
	want = want[1:]
	if !reflect.DeepEqual(pages, want) {
		t.Fatalf("pages %q, want %q", pages, want)
	}
	if got, w := WikitextDetokenize(pages[0]), " = Alpha =\n\nSome text-here.\n\n== Section ==\n\nMore (x) "; got != w {
		t.Errorf("detokenized %q, want %q", got, w)
	}
	// Hand count: re.split(r"\s+") of page 0 gives ['', '=', 'Alpha', '=',
	// 'Some', 'text', '@-@', 'here', '.', '=', '=', 'Section', '=', '=',
	// 'More', '(', 'x', ')', ''] = 19 pieces.
	if n := eval.CountWords(pages[0]); n != 19 {
		t.Errorf("words %d, want 19", n)
	}
}

func TestWikitextPagesShared(t *testing.T) {
	p := sharedtest.Path(t, "data/wikitext2/wiki.test.raw")
	in := instances(t, "wikitext2", Options{DataPath: p}, 0)
	// wiki.test.raw has 62 level-1 headings (grep -c '^ = [^=].* = $').
	if len(in) != 62 {
		t.Errorf("%d pages, want 62", len(in))
	}
	// wiki.test.raw starts with " \n" before its first heading: that one
	// chunk is dropped, and counted.
	task, _ := New("wikitext2", Options{DataPath: p})
	if d := Dropped(task); len(d) != 1 || d[0].Count != 1 || d[0].Of != 63 {
		t.Errorf("dropped %v, want 1 of 63 chunks", d)
	}
	if !strings.HasPrefix(in[0].Doc.(perplexityDoc).Page, " = Robert Boulter = \n \n Robert Boulter is") {
		t.Errorf("first page starts %q", in[0].Doc.(perplexityDoc).Page[:40])
	}
}

func TestWinogradRequests(t *testing.T) {
	p := writeFile(t, "w.jsonl", `{"context_options": ["The cat chased the dog because the cat", "The cat chased the dog because the dog"], "continuation": "was hungry.", "gold": 0}`+"\n")
	in := instances(t, "winograd", Options{DataPath: p, Variant: MCVariantGPT3}, 0)
	mc := in[0].Requests[0].(eval.MultipleChoice)
	want := eval.PartialChoices([]string{"The cat chased the dog because the cat", "The cat chased the dog because the dog"}, " was hungry.")
	if !reflect.DeepEqual(mc, want) {
		t.Errorf("got %+v, want %+v", mc, want)
	}
	// lm-evaluation-harness's wsc273: the delimiter and the space after
	// the pronoun, which the llm-foundry form has lost.
	in = instances(t, "winograd", Options{DataPath: p}, 0)
	want = eval.PartialChoices([]string{"The cat chased the dog because the cat", "The cat chased the dog because the dog"}, "  was hungry.")
	if mc := in[0].Requests[0].(eval.MultipleChoice); !reflect.DeepEqual(mc, want) {
		t.Errorf("lm-eval variant: got %+v, want %+v", mc, want)
	}
	task, _ := New("winograd", Options{DataPath: p})
	s, _ := task.Score(in[0], []eval.Response{eval.ChoiceResult{Options: []eval.LoglikelihoodResult{{LogProb: -3}, {LogProb: -5}}}})
	if s["acc"][0] != 1 {
		t.Errorf("acc %v, want 1", s["acc"])
	}
	bad := writeFile(t, "b.jsonl", `{"context_options": ["a", "b"], "continuation": "c", "gold": 2}`+"\n")
	if _, err := New("winograd", Options{DataPath: bad}); err == nil || !strings.Contains(err.Error(), "b.jsonl:1") || !strings.Contains(err.Error(), "gold") {
		t.Errorf("gold out of range: error %v, want one naming b.jsonl:1 and gold", err)
	}
}

func TestCBTRequests(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&b, "%d Sentence %d , said Tom .\n", i, i)
	}
	b.WriteString("21 `` Where is the XXXXX ? '' asked Tom .\tball\t\tball|cat|dog|hat|box|cup|pen|car|bed|map\n\n")
	p := writeFile(t, "cbtest_CN_test_2500ex.txt", b.String())
	in := instances(t, "cbt_cn", Options{DataPath: p}, 0)
	mc := in[0].Requests[0].(eval.MultipleChoice)
	if len(mc.Options) != 10 {
		t.Fatalf("%d options, want 10", len(mc.Options))
	}
	if got, want := mc.Options[1].Continuation, ` "Where is the cat?" asked Tom.`; got != want {
		t.Errorf("option 1 %q, want %q", got, want)
	}
	if !strings.HasPrefix(mc.Options[0].Context, "Sentence 1, said Tom. Sentence 2") {
		t.Errorf("context %q", mc.Options[0].Context[:40])
	}
	if in[0].Doc.(choiceDoc).Gold != 0 {
		t.Error("gold is not the answer's index")
	}
}

const sgmSrc = `<srcset setid="newstest2014" srclang="any">
<doc sysid="ref" docid="d1" origlang="fr">
<seg id="1">Bonjour le monde.</seg>
<seg id="2">Le chat dort.</seg>
</doc>
</srcset>
`
const sgmRef = `<refset setid="newstest2014" srclang="any" trglang="en">
<doc sysid="ref" docid="d1" origlang="fr">
<seg id="1">Hello world.</seg>
<seg id="2">The cat sleeps.</seg>
</doc>
</refset>
`

func TestWMTPrompts(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "newstest2014-fren-src.fr.sgm")
	os.WriteFile(src, []byte(sgmSrc), 0o644)
	os.WriteFile(filepath.Join(dir, "newstest2014-fren-ref.en.sgm"), []byte(sgmRef), 0o644)
	in := instances(t, "wmt14_fr_en", Options{DataPath: src}, 1)
	g := in[0].Requests[0].(eval.Generate)
	if want := "Le chat dort. = The cat sleeps.\nBonjour le monde. ="; g.Context != want || !reflect.DeepEqual(g.Until, []string{"\n"}) {
		t.Errorf("gpt2 variant context %q, want %q", g.Context, want)
	}
	in = instances(t, "wmt14_fr_en", Options{DataPath: src, Variant: WMTVariantLMEval}, 1)
	g = in[1].Requests[0].(eval.Generate)
	if want := "French phrase: Bonjour le monde.\nEnglish phrase:  Hello world.\n\nFrench phrase: Le chat dort.\nEnglish phrase:"; g.Context != want { // two spaces: lm-eval translation/wmt14_fr-en.yaml doc_to_target ' {{…}}' after target_delimiter " "
		t.Errorf("lm-eval variant context %q, want %q", g.Context, want)
	}
	task, _ := New("wmt14_fr_en", Options{DataPath: src})
	s, err := task.Score(in[0], []eval.Response{eval.GenerateResult{Text: " Hello world."}})
	if err != nil {
		t.Fatal(err)
	}
	// Hand count, 13a tokens "Hello world .": 3/3 unigrams, 2/2 bigrams,
	// 1/1 trigram, 0/0 4-grams; lengths 3 and 3.
	if want := []float64{3, 3, 3, 2, 1, 0, 3, 2, 1, 0}; !reflect.DeepEqual(s["bleu"], want) {
		t.Errorf("bleu stats %v, want %v", s["bleu"], want)
	}
	// TER as sacreBLEU's defaults count it (whitespace tokens, case
	// folded): "hello world." against itself is 0 edits over 2 reference
	// words; "Hello there." is one substitution.
	for hyp, want := range map[string][]float64{" Hello world.": {0, 2}, " Hello there.": {1, 2}, " hello WORLD.": {0, 2}} {
		s, err := task.Score(in[0], []eval.Response{eval.GenerateResult{Text: hyp}})
		if err != nil || !reflect.DeepEqual(s["ter"], want) {
			t.Errorf("%q: ter stats %v (%v), want %v", hyp, s["ter"], err, want)
		}
	}
	if _, err := task.Instances(2, 1); err == nil {
		t.Error("2-shot with a pool of 1 other document: no error")
	}
}

func TestUnknownTask(t *testing.T) {
	_, err := New("lambda_openai", Options{})
	var ut *UnknownTaskError
	if !errors.As(err, &ut) || ut.Suggest != "lambada_openai" {
		t.Errorf("error %v, want a did-you-mean for lambada_openai", err)
	}
	if _, err := New("lambada_openai", Options{}); err == nil || !strings.Contains(err.Error(), "--data lambada_openai=") {
		t.Errorf("missing data: error %v, want a hint naming --data", err)
	}
	empty := writeFile(t, "e.jsonl", "")
	if _, err := New("lambada_openai", Options{DataPath: empty}); err == nil || !strings.Contains(err.Error(), "no documents") {
		t.Errorf("empty file: error %v", err)
	}
}

// TestRequestHashes is the prompt-stability golden: the hash of every
// task's requests on the shared data, or on the small hand-written files
// in testdata/hashes for the tasks whose data kshot does not ship. A
// change here means the prompts changed, and the task's version must be
// bumped (then rerun with -update). The GPT-3 suite and GPT-1 probes are
// in TestGPT3RequestHashes; TestGoldensCoverRegistry checks that the two
// cover every registered task.
func TestRequestHashes(t *testing.T) {
	dataDir := sharedtest.Path(t, "data")
	fixture := func(name string) string { return filepath.Join("testdata", "hashes", name) }
	cases := []struct {
		task    string
		k       int
		variant string
		data    string // DataPath; "" reads the default file in dataDir
	}{
		{"lambada_openai", 0, "", ""}, {"lambada_openai_stopfilter", 0, "", ""}, {"wikitext2", 0, "", ""},
		{"ptb", 0, "", ""}, {"winograd", 0, "", ""}, {"winograd", 0, MCVariantGPT3, ""}, {"wmt14_fr_en", 0, "", ""}, {"wmt14_fr_en", 1, "", ""},
		{"wmt14_en_fr", 1, WMTVariantLMEval, ""},
		{"lambada_standard", 0, "", fixture("lambada_standard.jsonl")},
		// WikiText-103's test set is WikiText-2's (Merity et al. 2016).
		{"wikitext103", 0, "", filepath.Join(dataDir, "wikitext2", "wiki.test.raw")},
		{"cbt_cn", 0, "", fixture("cbt.txt")}, {"cbt_ne", 0, "", fixture("cbt.txt")},
		{"enwik8", 0, "", fixture("enwik8")}, {"text8", 0, "", fixture("text8")},
		{"synth_lambada", 0, "", ""}, {"synth_cbt", 0, "", ""}, {"synth_ppl", 0, "", ""},
		{"synth_arithmetic", 0, "", ""}, {"synth_arithmetic", 2, "", ""},
		{"synth_translate", 0, "", ""}, {"synth_translate", 2, "", ""},
	}
	got := map[string]string{}
	for _, c := range cases {
		o := Options{DataDir: dataDir, DataPath: c.data, Variant: c.variant}
		if strings.HasPrefix(c.task, "synth_") {
			o.DataDir = ""
		}
		task, err := New(c.task, o)
		if err != nil {
			t.Fatal(err)
		}
		in, err := task.Instances(c.k, 1234)
		if err != nil {
			t.Fatal(err)
		}
		got[fmt.Sprintf("%s@v%s/%dshot", c.task, task.Spec().Version, c.k)] = eval.RequestHash(in)
	}
	checkGolden(t, filepath.Join("testdata", "request_hashes.golden"), got)
}

// TestWikitextStrideVersion: a rolling stride changes the requests, so it
// is in the version of every perplexity task (wikitext's own 2.0 kept).
func TestWikitextStrideVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wiki.test.raw")
	if err := os.WriteFile(path, []byte(" \n = Title = \n \n Some text here .\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		stride int
		want   string
	}{{0, "2.0"}, {512, "2.0-stride512"}} {
		task, err := New("wikitext2", Options{DataPath: path, RollingStride: c.stride})
		if err != nil {
			t.Fatal(err)
		}
		if got := task.Spec().Version; got != c.want {
			t.Errorf("stride %d: version %q, want %q", c.stride, got, c.want)
		}
	}
}
