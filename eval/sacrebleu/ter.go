package sacrebleu

// Translation edit rate (Snover et al., 2006) computed exactly as
// sacreBLEU 2.x does (sacrebleu/metrics/ter.py and lib_ter.py, a port of
// tercom): greedy block shifts that reduce a beam-limited edit distance,
// then the edit distance of the shifted hypothesis.

import (
	"fmt"
	"math"
	"strconv"
)

// TEROptions configures TER like sacreBLEU's TER class; the zero value is
// its default (tercom's): case-insensitive, no normalization, punctuation
// kept, no special treatment of CJK.
type TEROptions struct {
	// CaseSensitive disables lower-casing.
	CaseSensitive bool
	// Normalized applies tercom's Western tokenization (punctuation split
	// off, possessive 's, periods/commas not between digits).
	Normalized bool
	// NoPunct removes the characters . , ? : ; ! " ( ).
	NoPunct bool
	// AsianSupport splits CJK characters and punctuation (with Normalized)
	// and removes CJK punctuation (with NoPunct).
	AsianSupport bool
}

// TERStats are one segment's (or, summed, a corpus's) TER statistics.
type TERStats struct {
	// Edits is the smallest number of edits (insertions, deletions,
	// substitutions and block shifts of words) over the references.
	Edits int
	// RefLen is the reference length in words averaged over the
	// segment's references (summed over segments).
	RefLen float64
}

// Add returns the sum of s and o.
func (s TERStats) Add(o TERStats) TERStats {
	return TERStats{Edits: s.Edits + o.Edits, RefLen: s.RefLen + o.RefLen}
}

// Floats returns the statistics as sacreBLEU lays them out: [Edits, RefLen].
func (s TERStats) Floats() []float64 { return []float64{float64(s.Edits), s.RefLen} }

// TERStatsFromFloats inverts Floats.
func TERStatsFromFloats(v []float64) TERStats {
	if len(v) != 2 {
		panic(fmt.Sprintf("eval: TER statistics vector of length %d", len(v)))
	}
	return TERStats{Edits: int(v[0]), RefLen: v[1]}
}

// TERResult is a TER score.
type TERResult struct {
	// Score is 100·Edits/RefLen (lower is better; it can exceed 100). With
	// empty references it is 100 if there are edits and 0 otherwise.
	Score  float64
	Edits  int
	RefLen float64
}

// Format renders r like sacreBLEU's Score.format, e.g. "TER = 36.84", with
// width decimals.
func (r TERResult) Format(width int) string {
	return "TER = " + strconv.FormatFloat(r.Score, 'f', width, 64)
}

// String is Format(2), sacreBLEU's repr of a TER score.
func (r TERResult) String() string { return r.Format(2) }

// TERScoreFromStats computes TER from (summed) statistics like
// sacreBLEU's TER._compute_score_from_stats. The options do not enter the
// score; the parameter keeps the three metrics' APIs alike.
func TERScoreFromStats(s TERStats, _ TEROptions) TERResult {
	score := 0.0
	switch {
	case s.RefLen > 0:
		score = float64(s.Edits) / s.RefLen
	case s.Edits > 0:
		score = 1
	}
	return TERResult{Score: 100 * score, Edits: s.Edits, RefLen: s.RefLen}
}

// TERSegmentStats returns the TER statistics of one hypothesis: the fewest
// edits over its references and their average length. Empty references
// are skipped; at least one must remain.
func TERSegmentStats(hyp string, refs []string, opt TEROptions) (TERStats, error) {
	refs, err := mtNonEmpty(refs)
	if err != nil {
		return TERStats{}, fmt.Errorf("ter: %w", err)
	}
	ids := map[string]int32{}
	words := func(s string) []int32 {
		f := mtFields(TERTokenize(mtRStrip(s), opt))
		out := make([]int32, len(f))
		for i, w := range f {
			id, ok := ids[w]
			if !ok {
				id = int32(len(ids))
				ids[w] = id
			}
			out[i] = id
		}
		return out
	}
	h := words(hyp)
	best, refLens := math.MaxInt, 0
	for _, ref := range refs {
		edits, n := terEdits(h, words(ref))
		refLens += n
		best = min(best, edits)
	}
	return TERStats{Edits: best, RefLen: float64(refLens) / float64(len(refs))}, nil
}

// CorpusTER computes corpus TER like sacreBLEU's TER.corpus_score;
// refs[r][i] is reference stream r's translation of segment i.
func CorpusTER(hyps []string, refs [][]string, opt TEROptions) (TERResult, error) {
	if err := mtCheckCorpus("ter", hyps, refs); err != nil {
		return TERResult{}, err
	}
	var sum TERStats
	for i, h := range hyps {
		s, err := TERSegmentStats(h, mtSegmentRefs(refs, i), opt)
		if err != nil {
			return TERResult{}, fmt.Errorf("segment %d: %w", i+1, err)
		}
		sum = sum.Add(s)
	}
	return TERScoreFromStats(sum, opt), nil
}

// Tercom's limits, as in sacreBLEU's lib_ter.py.
const (
	terMaxShiftSize       = 10   // longest block shifted, in words
	terMaxShiftDist       = 50   // largest |start_ref − start_hyp| of a block
	terBeamWidth          = 25   // half-width of the edit-distance beam
	terMaxShiftCandidates = 1000 // shift candidates tried per segment
	terInf                = int32(1 << 30)
)

// Edit operations in a trace (rewriting the hypothesis into the reference).
const (
	terOpIns   = 'i'
	terOpDel   = 'd'
	terOpNop   = ' '
	terOpSub   = 's'
	terOpUndef = 'x'
)

// terEdits returns the number of edits (shifts plus edit distance) that
// turn hyp into ref, and ref's length; sacreBLEU's translation_edit_rate.
func terEdits(hyp, ref []int32) (edits, refLen int) {
	if len(ref) == 0 {
		return len(hyp), 0
	}
	ed := newTERBeam(ref, len(hyp))
	shifts, checked := 0, 0
	input := hyp
	for {
		delta, shifted, c := terShift(input, ref, ed, checked)
		checked = c
		if checked >= terMaxShiftCandidates || delta <= 0 {
			break
		}
		shifts++
		input = shifted
	}
	dist, _ := ed.distance(input)
	return shifts + int(dist), len(ref)
}

// terShift tries the block shifts tercom considers and returns the best
// one's reduction of the edit distance, the shifted words, and the updated
// count of candidates tried (sacreBLEU's _shift).
func terShift(h, r []int32, ed *terBeam, checked int) (int32, []int32, int) {
	preScore, invTrace := ed.distance(h)
	align, hasAlign, refErr, hypErr := terAlignment(invTrace)
	var (
		found     bool
		bestKey   [4]int64 // (score reduction, length, −start_h, −target)
		bestWords []int32
	)
	sum := func(xs []int8) int {
		t := 0
		for _, x := range xs {
			t += int(x)
		}
		return t
	}
	// try considers the block h[sh:sh+n] == r[sr:sr+n]; it reports whether
	// the candidate limit is reached.
	try := func(sh, sr, n int) bool {
		if sum(hypErr[sh:sh+n]) == 0 || sum(refErr[sr:sr+n]) == 0 {
			return false
		}
		if a := align[sr]; sh <= a && a < sh+n {
			return false // do not shift within the block itself
		}
		prev := -1
		for off := -1; off < n; off++ {
			idx := 0 // off == -1 with sr == 0: insert at the beginning
			if sr+off != -1 {
				if !hasAlign[sr+off] {
					break // aims past the reference
				}
				idx = align[sr+off] + 1 // insert before, unlike tercom's after
			}
			if idx == prev {
				continue
			}
			prev = idx
			shifted := terPerformShift(h, sh, n, idx)
			d, _ := ed.distance(shifted)
			key := [4]int64{int64(preScore - d), int64(n), int64(-sh), int64(-idx)}
			checked++
			if !found || terKeyGreater(key, bestKey) {
				found, bestKey, bestWords = true, key, shifted
			}
		}
		return checked >= terMaxShiftCandidates
	}
outer:
	for sh := range h {
		for sr := range r {
			if sr-sh > terMaxShiftDist || sh-sr > terMaxShiftDist {
				continue
			}
			for n := 0; h[sh+n] == r[sr+n] && n < terMaxShiftSize; {
				n++
				if try(sh, sr, n) {
					break outer
				}
				if len(h) == sh+n || len(r) == sr+n {
					break
				}
			}
		}
	}
	if !found {
		return 0, h, checked
	}
	return int32(bestKey[0]), bestWords, checked
}

// terKeyGreater compares shift candidates lexicographically.
func terKeyGreater(a, b [4]int64) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return false
}

// terPerformShift moves words[start:start+n] to before position target,
// with Python's clamped slicing (sacreBLEU's _perform_shift).
func terPerformShift(words []int32, start, n, target int) []int32 {
	sl := func(a, b int) []int32 {
		a, b = max(0, min(a, len(words))), max(0, min(b, len(words)))
		if a >= b {
			return nil
		}
		return words[a:b]
	}
	out := make([]int32, 0, len(words))
	switch {
	case target < start:
		out = append(append(append(append(out, sl(0, target)...), sl(start, start+n)...), sl(target, start)...), sl(start+n, len(words))...)
	case target > start+n:
		out = append(append(append(append(out, sl(0, start)...), sl(start+n, target)...), sl(start, start+n)...), sl(target, len(words))...)
	default:
		out = append(append(append(append(out, sl(0, start)...), sl(start+n, n+target)...), sl(start, start+n)...), sl(n+target, len(words))...)
	}
	if len(out) != len(words) {
		panic(fmt.Sprintf("eval: ter: shift of %d words from %d to %d changed the length", n, start, target))
	}
	return out
}

// terAlignment turns an edit trace of hypothesis→reference into the
// alignment of the reversed rewrite (sacreBLEU flips insertions and
// deletions, then calls trace_to_alignment): align[j] is the hypothesis
// position aligned to reference word j (−1 before the first), and the error
// flags mark words that are not matched exactly.
func terAlignment(invTrace []byte) (align []int, hasAlign []bool, refErr, hypErr []int8) {
	posHyp, posRef := -1, -1
	for _, op := range invTrace {
		switch op { // flipped: an insertion of the inverse trace is a deletion here
		case terOpNop, terOpSub:
			posHyp++
			posRef++
			align = append(align, posHyp)
			hasAlign = append(hasAlign, true)
			e := int8(0)
			if op == terOpSub {
				e = 1
			}
			hypErr = append(hypErr, e)
			refErr = append(refErr, e)
		case terOpDel: // flipped to insertion
			posHyp++
			hypErr = append(hypErr, 1)
		case terOpIns: // flipped to deletion
			posRef++
			align = append(align, posHyp)
			hasAlign = append(hasAlign, true)
			refErr = append(refErr, 1)
		default:
			panic(fmt.Sprintf("eval: ter: unknown edit operation %q", op))
		}
	}
	return align, hasAlign, refErr, hypErr
}

// terCell is one edit-distance matrix cell: the cost and the last operation.
type terCell struct {
	cost int32
	op   byte
}

// terBeam computes tercom's beam-limited word edit distance to a fixed
// reference for hypotheses of one length (shifts keep the length). Rows
// depend only on the hypothesis prefix, so rows shared with the previous
// call are reused, which gives the same result as sacreBLEU's prefix cache.
type terBeam struct {
	ref        []int32
	nh         int
	minJ, maxJ []int     // per row: the columns computed, [minJ, maxJ)
	dist       []terCell // (nh+1) × (len(ref)+1), row-major
	prev       []int32   // hypothesis of the previous call
	filled     int       // rows 0..filled of dist are valid for prev
}

func newTERBeam(ref []int32, nh int) *terBeam {
	ratio, beam := 1.0, terBeamWidth
	if nh > 0 {
		ratio = float64(len(ref)) / float64(nh)
	}
	// In very unequal lengths, widen the beam so rows still overlap.
	if float64(terBeamWidth) < ratio/2 {
		beam = int(math.Ceil(ratio/2 + terBeamWidth))
	}
	w := len(ref) + 1
	b := &terBeam{ref: ref, nh: nh, minJ: make([]int, nh+2), maxJ: make([]int, nh+2), dist: make([]terCell, (nh+1)*w)}
	for i := 1; i <= nh; i++ {
		diag := int(math.Floor(float64(i) * ratio)) // the pseudo-diagonal
		b.minJ[i], b.maxJ[i] = max(0, diag-beam), min(w, diag+beam)
	}
	b.maxJ[nh] = w // the last row is complete
	b.maxJ[nh+1] = w
	for j := range w {
		b.dist[j] = terCell{int32(j), terOpIns}
	}
	return b
}

// distance returns the edit distance from hyp to the reference and the
// trace of operations.
func (b *terBeam) distance(hyp []int32) (int32, []byte) {
	if len(hyp) != b.nh {
		panic(fmt.Sprintf("eval: ter: hypothesis of %d words for a beam of %d", len(hyp), b.nh))
	}
	w := len(b.ref) + 1
	start := 0 // rows 0..start are valid
	for start < b.filled && start < len(hyp) && b.prev[start] == hyp[start] {
		start++
	}
	for i := start + 1; i <= b.nh; i++ {
		row, up := b.dist[i*w:(i+1)*w], b.dist[(i-1)*w:i*w]
		minJ, maxJ := b.minJ[i], b.maxJ[i]
		// Cells outside the beam stay "infinite". Only those that this row
		// and the next one read need resetting: columns minJ−1 up to the
		// next row's end (windows move right from row to row).
		for j := max(0, minJ-1); j < b.maxJ[i+1]; j++ {
			row[j] = terCell{terInf, terOpUndef}
		}
		for j := minJ; j < maxJ; j++ {
			if j == 0 {
				row[0] = terCell{up[0].cost + 1, terOpDel}
				continue
			}
			sub, subOp := int32(1), byte(terOpSub)
			if hyp[i-1] == b.ref[j-1] {
				sub, subOp = 0, terOpNop
			}
			// Tercom prefers match/substitution, then insertion, then
			// deletion; the trace is flipped later, hence this order.
			if c := up[j-1].cost + sub; row[j].cost > c {
				row[j] = terCell{c, subOp}
			}
			if c := up[j].cost + 1; row[j].cost > c {
				row[j] = terCell{c, terOpDel}
			}
			if c := row[j-1].cost + 1; row[j].cost > c {
				row[j] = terCell{c, terOpIns}
			}
		}
	}
	b.prev = append(b.prev[:0], hyp...)
	b.filled = b.nh
	var rev []byte
	i, j := b.nh, len(b.ref)
	for i > 0 || j > 0 {
		op := b.dist[i*w+j].op
		rev = append(rev, op)
		switch op {
		case terOpSub, terOpNop:
			i--
			j--
		case terOpIns:
			j--
		case terOpDel:
			i--
		default:
			panic(fmt.Sprintf("eval: ter: trace reached an unset cell (%d, %d)", i, j))
		}
	}
	for a, z := 0, len(rev)-1; a < z; a, z = a+1, z-1 {
		rev[a], rev[z] = rev[z], rev[a]
	}
	return b.dist[b.nh*w+len(b.ref)].cost, rev
}
