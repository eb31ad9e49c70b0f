package train

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/datasets/synth"
)

// TestLadderCorpusHoldsNoEvaluatedText looks for the texts the synthetic
// tasks evaluate (story contexts, roster passages, translation prompts,
// perplexity passages; the default job's document counts) in the corpus
// the ladder is trained on (version 1) and in version 2 of it, as
// literal substrings.
func TestLadderCorpusHoldsNoEvaluatedText(t *testing.T) {
	if testing.Short() {
		t.Skip("generates the ladder's whole corpus")
	}
	for v, texts := range [][]string{synth.Corpus(LadderCorpusSeed, LadderPassages), synth.CorpusV2(LadderCorpusSeed, LadderPassages)} {
		if leaks := synth.Leaks(strings.Join(texts, "\n\n"), 500); len(leaks) > 0 {
			t.Errorf("%d evaluated texts occur in the ladder's version %d corpus, the first: %q", len(leaks), v+1, leaks[0])
		}
	}
}

// TestCorpusVersion checks that CorpusVersion selects the corpus: the same
// run on version 2 writes another tokenizer than on version 1 (its text
// has digits and longer lists).
func TestCorpusVersion(t *testing.T) {
	dir := t.TempDir()
	var merges [2][]byte
	for i, v := range []int{1, 2} {
		r := tinyRun(t, filepath.Join(dir, strconv.Itoa(v)))
		r.CorpusVersion = v
		if err := r.Execute(context.Background()); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(r.Out, "merges.txt"))
		if err != nil {
			t.Fatal(err)
		}
		merges[i] = data
	}
	if string(merges[0]) == string(merges[1]) {
		t.Error("corpus versions 1 and 2 give the same tokenizer")
	}
}
