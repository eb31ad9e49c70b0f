package train

import (
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
