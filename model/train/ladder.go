package train

// Size is one rung of the embedded ladder.
type Size struct {
	Name   string
	NEmbd  int
	NLayer int
	NHead  int
	Steps  int
	LR     float64
}

// The ladder's shared settings: seeds, corpus, tokenizer and context.
const (
	LadderSeed       = 1
	LadderCorpusSeed = 2019
	LadderPassages   = 60000
	LadderVocab      = 1024
	LadderPositions  = 128
)

// Ladder lists the embedded models from the smallest to the largest.
var Ladder = []Size{
	{Name: "synth-tiny", NEmbd: 24, NLayer: 1, NHead: 2, Steps: 600, LR: 3e-3},
	{Name: "synth-small", NEmbd: 64, NLayer: 2, NHead: 4, Steps: 600, LR: 2e-3},
	{Name: "synth-medium", NEmbd: 96, NLayer: 3, NHead: 4, Steps: 600, LR: 1.5e-3},
	{Name: "synth-large", NEmbd: 160, NLayer: 4, NHead: 5, Steps: 600, LR: 1.2e-3},
}

// LadderV2Steps are the optimizer steps of every rung when the ladder is
// rebuilt on version 2 of the corpus (kshot train --ladder
// --corpus-version 2): twice version 1's, about 52 minutes on a loaded
// 2-core machine (docs/ladder.md). Not yet the embedded ladder.
const LadderV2Steps = 1200

// LadderSize returns the rung called name.
func LadderSize(name string) (Size, bool) {
	for _, s := range Ladder {
		if s.Name == name {
			return s, true
		}
	}
	return Size{}, false
}

// LadderRun returns the run that builds rung s into out, keeping its
// resumable state in checkpointDir.
func LadderRun(s Size, out, checkpointDir string) *Run {
	return ladderRun(s, out, checkpointDir)
}

// LadderRunV2 is LadderRun on version 2 of the corpus with
// LadderV2Steps steps.
func LadderRunV2(s Size, out, checkpointDir string) *Run {
	s.Steps = LadderV2Steps
	r := ladderRun(s, out, checkpointDir)
	r.CorpusVersion = 2
	return r
}

func ladderRun(s Size, out, checkpointDir string) *Run {
	return &Run{
		Name:       s.Name,
		Model:      Config{NPositions: LadderPositions, NEmbd: s.NEmbd, NLayer: s.NLayer, NHead: s.NHead},
		Hyper:      DefaultHyper(s.Steps, s.LR),
		Seed:       LadderSeed,
		CorpusSeed: LadderCorpusSeed,
		Passages:   LadderPassages,
		VocabSize:  LadderVocab,
		Out:        out, DType: F16, CheckpointDir: checkpointDir, CheckpointEvery: 200,
	}
}
