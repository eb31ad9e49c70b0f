package model

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
)

// This file holds the byte-pair merge engine shared by the GPT-2 and GPT-1
// tokenizers, and the word cache both use.
//
// Merge semantics are those of Hugging Face's tokenizers library
// (Word::merge_all) and of OpenAI's encoder.py: repeatedly merge the adjacent
// pair with the lowest merge rank, the leftmost one when the same pair occurs
// more than once, until no adjacent pair is a merge.

// mergeTable maps a pair of symbol ids to its merge rank and the id of the
// merged symbol. It is an open-addressing hash table, faster than a Go map
// for the two lookups per merge step that dominate BPE.
type mergeTable struct {
	slots []mergeSlot
	shift uint // 64 - log2(len(slots))
	n     int  // entries
}

// mergeSlot keeps a key beside its value, so that a probe reads one cache
// line.
type mergeSlot struct {
	key uint64 // left<<32 | right; emptyKey marks a free slot
	val uint64 // rank<<32 | merged id
}

const emptyKey = ^uint64(0)

func pairKey(left, right int32) uint64 { return uint64(uint32(left))<<32 | uint64(uint32(right)) }

func newMergeTable(capacity int) *mergeTable {
	size, bits := 16, uint(4)
	for size < 2*capacity {
		size *= 2
		bits++
	}
	t := &mergeTable{slots: make([]mergeSlot, size), shift: 64 - bits}
	for i := range t.slots {
		t.slots[i].key = emptyKey
	}
	return t
}

func (t *mergeTable) slot(k uint64) int {
	return int((k * 0x9E3779B97F4A7C15) >> t.shift)
}

// put records that (left, right) merges into merged with the given rank,
// replacing an earlier entry for the same pair (a later line of a merges
// file wins, as in encoder.py's dict and tokenizers' HashMap).
func (t *mergeTable) put(left, right int32, rank int, merged int32) {
	k := pairKey(left, right)
	mask := len(t.slots) - 1
	for i := t.slot(k); ; i = (i + 1) & mask {
		switch t.slots[i].key {
		case emptyKey:
			t.slots[i].key = k
			t.n++
			fallthrough
		case k:
			t.slots[i].val = uint64(uint32(rank))<<32 | uint64(uint32(merged))
			return
		}
	}
}

// get returns the rank and merged id of the pair (left, right); ok is false
// when the pair is not a merge or either id is negative (an unknown symbol).
func (t *mergeTable) get(left, right int32) (rank, merged int32, ok bool) {
	if left < 0 || right < 0 {
		return 0, 0, false
	}
	k := pairKey(left, right)
	mask := len(t.slots) - 1
	for i := t.slot(k); ; i = (i + 1) & mask {
		switch e := &t.slots[i]; e.key {
		case k:
			return int32(e.val >> 32), int32(uint32(e.val)), true
		case emptyKey:
			return 0, 0, false
		}
	}
}

// buildMerges turns merge rules into a merge table over the ids of a
// vocabulary, as tokenizers' BpeBuilder does: both tokens of a rule and
// their concatenation must be in the vocabulary, and the rank is the
// rule's position.
func buildMerges(vocabPath string, ids map[string]int32, merges []mergeRule) (*mergeTable, error) {
	t := newMergeTable(len(merges))
	for rank, m := range merges {
		a, okA := ids[m.a]
		b, okB := ids[m.b]
		ab, okAB := ids[m.a+m.b]
		missing, what := "", "token"
		switch {
		case !okA:
			missing = m.a
		case !okB:
			missing = m.b
		case !okAB:
			missing, what = m.a+m.b, "merged token"
		}
		if missing != "" {
			err := m.errorf("merge %q %q: %s %q is not in the vocabulary %s", m.a, m.b, what, missing, vocabPath).(*TokenizerFileError)
			err.Hint = "the merges and the vocabulary must come from the same tokenizer"
			return nil, err
		}
		t.put(a, b, rank, ab)
	}
	return t, nil
}

// noRank is larger than any merge rank.
const noRank = int32(1<<31 - 1)

// smallWord is the longest symbol sequence merged by the quadratic scan;
// longer ones use the heap, whose cost grows as n log n.
const smallWord = 48

// merge applies the merges in t to syms in place and returns the merged
// prefix of syms. Negative symbols (unknown characters) never merge.
func (t *mergeTable) merge(syms []int32) []int32 {
	if len(syms) < 2 {
		return syms
	}
	if len(syms) > smallWord {
		return t.mergeHeap(syms)
	}
	var rankBuf, newBuf [smallWord]int32
	n := len(syms)
	ranks, merged := rankBuf[:n-1], newBuf[:n-1]
	for i := 0; i < n-1; i++ {
		r, m, ok := t.get(syms[i], syms[i+1])
		if !ok {
			r = noRank
		}
		ranks[i], merged[i] = r, m
	}
	for n > 1 {
		best := 0
		for i := 1; i < n-1; i++ {
			if ranks[i] < ranks[best] {
				best = i
			}
		}
		if ranks[best] == noRank {
			break
		}
		syms[best] = merged[best]
		copy(syms[best+1:n], syms[best+2:n])
		copy(ranks[best:n-1], ranks[best+1:n-1])
		copy(merged[best:n-1], merged[best+1:n-1])
		n--
		if best > 0 {
			r, m, ok := t.get(syms[best-1], syms[best])
			if !ok {
				r = noRank
			}
			ranks[best-1], merged[best-1] = r, m
		}
		if best < n-1 {
			r, m, ok := t.get(syms[best], syms[best+1])
			if !ok {
				r = noRank
			}
			ranks[best], merged[best] = r, m
		}
	}
	return syms[:n]
}

// heapItem is a candidate merge of the symbol at pos with its successor.
type heapItem struct {
	rank, pos, merged int32
}

func (a heapItem) less(b heapItem) bool {
	return a.rank < b.rank || (a.rank == b.rank && a.pos < b.pos)
}

// mergeHeap is merge for long words: a doubly linked list of symbols and a
// binary heap of candidate merges ordered by (rank, position), with stale
// candidates skipped when popped. It gives the same result as the scan.
func (t *mergeTable) mergeHeap(syms []int32) []int32 {
	n := len(syms)
	if n < 2 {
		return syms
	}
	prev := make([]int32, n)
	next := make([]int32, n)
	alive := make([]bool, n)
	for i := range syms {
		prev[i], next[i], alive[i] = int32(i-1), int32(i+1), true
	}
	next[n-1] = -1
	h := make([]heapItem, 0, n)
	push := func(it heapItem) {
		h = append(h, it)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if !h[i].less(h[p]) {
				break
			}
			h[i], h[p] = h[p], h[i]
			i = p
		}
	}
	pop := func() heapItem {
		top := h[0]
		last := len(h) - 1
		h[0] = h[last]
		h = h[:last]
		for i := 0; ; {
			l, r, m := 2*i+1, 2*i+2, i
			if l < len(h) && h[l].less(h[m]) {
				m = l
			}
			if r < len(h) && h[r].less(h[m]) {
				m = r
			}
			if m == i {
				break
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
		return top
	}
	candidate := func(pos int32) {
		if pos < 0 || next[pos] < 0 {
			return
		}
		if r, m, ok := t.get(syms[pos], syms[next[pos]]); ok {
			push(heapItem{r, pos, m})
		}
	}
	for i := int32(0); i < int32(n-1); i++ {
		candidate(i)
	}
	for len(h) > 0 {
		it := pop()
		if !alive[it.pos] || next[it.pos] < 0 {
			continue
		}
		nx := next[it.pos]
		r, m, ok := t.get(syms[it.pos], syms[nx])
		if !ok || r != it.rank || m != it.merged {
			continue // stale: one side has merged since this was pushed
		}
		syms[it.pos] = m
		alive[nx] = false
		next[it.pos] = next[nx]
		if next[nx] >= 0 {
			prev[next[nx]] = it.pos
		}
		candidate(prev[it.pos])
		candidate(it.pos)
	}
	out := syms[:0]
	for i := 0; i < n; i++ {
		if alive[i] {
			out = append(out, syms[i])
		}
	}
	return out
}

// wordCache maps a pre-tokenized word to its token ids. It is a two-way
// set-associative table of immutable entries: a reader loads the entries
// of the word's two slots atomically and compares words, a writer replaces
// a slot's entry. So it is safe for concurrent use without locks, bounded in size,
// and a collision merely evicts a word, which is then merged again.
type wordCache struct {
	seed  maphash.Seed
	slots []atomic.Pointer[cacheEntry] // a power of two in number
}

type cacheEntry struct {
	word string
	ids  []int32
}

const (
	maxCacheSlots = 1 << 17 // 1 MiB of pointers; wikitext-2 has 21k distinct words
	maxCachedWord = 256     // bytes; longer words are merged every time
)

// newWordCache returns a cache sized for a vocabulary of vocabSize tokens:
// the full size for real vocabularies, a small one for toy vocabularies,
// whose merges are cheap (this keeps the loaders light in tests).
func newWordCache(vocabSize int) *wordCache {
	n := 1024
	for n < maxCacheSlots && n < 2*vocabSize {
		n *= 2
	}
	return &wordCache{seed: maphash.MakeSeed(), slots: make([]atomic.Pointer[cacheEntry], n)}
}

// ways returns the two slots, side by side, where word may be cached.
func (c *wordCache) ways(word string) []atomic.Pointer[cacheEntry] {
	i := maphash.String(c.seed, word) & uint64(len(c.slots)-2)
	return c.slots[i : i+2 : i+2]
}

// get returns the cached ids of word; the slice must not be modified.
func (c *wordCache) get(word string) ([]int32, bool) {
	w := c.ways(word)
	if e := w[0].Load(); e != nil && e.word == word {
		return e.ids, true
	}
	if e := w[1].Load(); e != nil && e.word == word {
		return e.ids, true
	}
	return nil, false
}

// put stores a copy of word (so that the cache never pins the caller's
// text) with ids, which the cache then owns. The new word takes the first
// slot and moves its occupant to the second, which evicts the older one.
func (c *wordCache) put(word string, ids []int32) {
	if len(word) > maxCachedWord {
		return
	}
	w := c.ways(word)
	if old := w[0].Load(); old != nil {
		w[1].Store(old)
	}
	w[0].Store(&cacheEntry{strings.Clone(word), ids})
}
