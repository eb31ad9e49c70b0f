package train

import (
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/datasets/synth"
)

// TestLadderCorpusHoldsNoEvaluatedText looks for the texts the synthetic
// tasks evaluate (story contexts, roster passages, translation prompts,
// perplexity passages; the default job's document counts) in the corpus
// the ladder is trained on, as literal substrings.
func TestLadderCorpusHoldsNoEvaluatedText(t *testing.T) {
	if testing.Short() {
		t.Skip("generates the ladder's whole corpus")
	}
	corpus := strings.Join(synth.Corpus(LadderCorpusSeed, LadderPassages), "\n\n")
	if leaks := synth.Leaks(corpus, 500); len(leaks) > 0 {
		t.Fatalf("%d evaluated texts occur in the ladder's corpus, the first: %q", len(leaks), leaks[0])
	}
}
