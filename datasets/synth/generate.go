package synth

import (
	"hash/fnv"
	"math/rand/v2"
	"strings"
)

// Generator draws passages from one seeded stream.
type Generator struct {
	r *rand.Rand
}

// New returns a generator for the PCG stream (seed, stream).
func New(seed, stream uint64) *Generator {
	return &Generator{r: rand.New(rand.NewPCG(seed, stream))}
}

// heldOut reports whether text belongs to the evaluation half of the hash
// split: about one text in eight.
func heldOut(text string) bool {
	h := fnv.New64a()
	h.Write([]byte(text))
	return h.Sum64()%8 == 0
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// distinct returns n distinct random indices below m.
func distinct(r *rand.Rand, n, m int) []int {
	return r.Perm(m)[:n]
}

// article returns "a" or "an" for the word that follows.
func article(word string) string {
	if strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

func pronoun(p person) string {
	if p.he {
		return "he"
	}
	return "she"
}

func capitalize(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// Story is a passage whose last word (Target, with its leading space)
// names an entity introduced earlier: a character's object or place, or
// an object's owner. Text is Context+Target+".".
type Story struct {
	Context string
	Target  string
	Text    string
}

// story draws one story.
func (g *Generator) story() Story {
	r := g.r
	n := 2 + r.IntN(2)
	who := distinct(r, n, len(people))
	objs := distinct(r, n, len(objects))
	locs := distinct(r, n, len(places))
	type char struct {
		p        person
		obj, loc string
		adj      string
	}
	cs := make([]char, n)
	for i := range cs {
		cs[i] = char{people[who[i]], objects[objs[i]], places[locs[i]], pick(r, adjectives)}
	}
	var sents []string
	for _, c := range cs {
		switch r.IntN(3) {
		case 0:
			sents = append(sents, c.p.name+" had "+article(c.adj)+" "+c.adj+" "+c.obj+".")
		case 1:
			sents = append(sents, c.p.name+" owned "+article(c.adj)+" "+c.adj+" "+c.obj+".")
		default:
			sents = append(sents, c.p.name+" kept "+article(c.adj)+" "+c.adj+" "+c.obj+" at home.")
		}
		switch r.IntN(3) {
		case 0:
			sents = append(sents, capitalize(pronoun(c.p))+" lived near the "+c.loc+".")
		case 1:
			sents = append(sents, capitalize(pronoun(c.p))+" worked at the "+c.loc+".")
		default:
			sents = append(sents, "Every day "+c.p.name+" walked to the "+c.loc+".")
		}
	}
	for range r.IntN(3) {
		ci := r.IntN(n)
		c := cs[ci]
		switch r.IntN(5) {
		case 0:
			sents = append(sents, "The weather was "+pick(r, weathers)+".")
		case 1:
			sents = append(sents, c.p.name+" was "+pick(r, moods)+".")
		case 2:
			a := pick(r, animals)
			sents = append(sents, capitalize(article(a))+" "+a+" watched from far away.")
		case 3:
			other := cs[(ci+1+r.IntN(n-1))%n]
			sents = append(sents, pick(r, times)+" "+c.p.name+" met "+other.p.name+".")
		default:
			sents = append(sents, capitalize(pronoun(c.p))+" sang a little song.")
		}
	}
	c := cs[r.IntN(n)]
	var final, target string
	switch r.IntN(6) {
	case 0:
		final, target = "Later that day, "+c.p.name+" picked up the", c.obj
	case 1:
		final, target = "So "+c.p.name+" went home and cleaned the", c.obj
	case 2:
		final, target = "In the evening, "+c.p.name+" went back to the", c.loc
	case 3:
		final, target = "At last "+c.p.name+" was happy to see the", c.loc
	case 4:
		final, target = "Everyone knew that the "+c.obj+" belonged to", c.p.name
	default:
		final, target = "The "+c.adj+" "+c.obj+" was found by", c.p.name
	}
	ctx := strings.Join(sents, " ") + " " + final
	return Story{Context: ctx, Target: " " + target, Text: ctx + " " + target + "."}
}

func indexOf[T any](xs []T, key string, f func(T) string) int {
	for i, x := range xs {
		if f(x) == key {
			return i
		}
	}
	return -1
}

// Roster is a passage naming ten objects, five of them held by five
// characters, and a question whose blank (XXXXX) is the object one of the
// characters holds. Options are the ten objects, sorted; Gold indexes the
// answer.
type Roster struct {
	Passage  string
	Question string
	Options  []string
	Gold     int
}

// Blank marks the gap of a Roster question.
const Blank = "XXXXX"

func (g *Generator) roster() Roster {
	r := g.r
	who := distinct(r, 5, len(people))
	objs := distinct(r, 10, len(objects))
	var sents []string
	for i, w := range who {
		sents = append(sents, people[w].name+" had the "+objects[objs[i]]+".")
	}
	for _, o := range objs[5:] {
		sents = append(sents, "There was a "+objects[o]+" on the "+pick(r, furniture)+".")
	}
	r.Shuffle(len(sents), func(i, j int) { sents[i], sents[j] = sents[j], sents[i] })
	q := r.IntN(5)
	var question string
	switch r.IntN(3) {
	case 0:
		question = "Then " + people[who[q]].name + " picked up the " + Blank + "."
	case 1:
		question = "Later " + people[who[q]].name + " lost the " + Blank + "."
	default:
		question = "So " + people[who[q]].name + " gave away the " + Blank + "."
	}
	opts := make([]string, 10)
	for i, o := range objs {
		opts[i] = objects[o]
	}
	answer := opts[q]
	sortStrings(opts)
	gold := indexOf(opts, answer, func(s string) string { return s })
	return Roster{Passage: strings.Join(sents, " "), Question: question, Options: opts, Gold: gold}
}

func sortStrings(xs []string) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

// Text returns the roster with its question answered, as it appears in
// training passages.
func (s Roster) Text() string {
	return s.Passage + " " + strings.Replace(s.Question, Blank, s.Options[s.Gold], 1)
}

// Fact is an arithmetic fact in words: Text "three plus four is", Answer
// "seven".
type Fact struct {
	Text   string
	Answer string
}

func (g *Generator) fact() Fact {
	r := g.r
	if r.IntN(2) == 0 {
		a, b := r.IntN(11), r.IntN(11)
		return Fact{numberWords[a] + " plus " + numberWords[b] + " is", numberWords[a+b]}
	}
	a := r.IntN(21)
	b := r.IntN(min(a, 10) + 1)
	return Fact{numberWords[a] + " minus " + numberWords[b] + " is", numberWords[a-b]}
}

// worksheet returns 4 to 8 facts, one "text answer" per line.
func (g *Generator) worksheet() string {
	n := 4 + g.r.IntN(5)
	lines := make([]string, n)
	for i := range lines {
		f := g.fact()
		lines[i] = f.Text + " " + f.Answer
	}
	return strings.Join(lines, "\n")
}

// Pair is an English sentence and its translation.
type Pair struct {
	English, Foreign string
}

// pair draws a sentence and translates it into lang.
func (g *Generator) pair(lang Language) Pair {
	r := g.r
	a, n, v, o := r.IntN(len(trAdjectives)), r.IntN(len(trAnimals)), r.IntN(len(trVerbs)), r.IntN(len(trObjects))
	withAdj := r.IntN(2) == 0
	en := "the "
	if withAdj {
		en += trAdjectives[a] + " "
	}
	en += trAnimals[n] + " " + trVerbs[v] + " the " + trObjects[o]
	var fo string
	if lang == Zanti {
		fo = zantiThe + " " + zantiAnimals[n]
		if withAdj {
			fo += " " + zantiAdjectives[a]
		}
		fo += " " + zantiVerbs[v] + " " + zantiThe + " " + zantiObjects[o]
	} else {
		fo = korelThe + " "
		if withAdj {
			fo += korelAdjectives[a] + " "
		}
		fo += korelAnimals[n] + " " + korelVerbs[v] + " " + korelThe + " " + korelObjects[o]
	}
	return Pair{English: en, Foreign: fo}
}

// translations returns 3 to 6 training pairs in one language, one
// "english = foreign" per line.
func (g *Generator) translations() string {
	lang := Language(g.r.IntN(2))
	n := 3 + g.r.IntN(4)
	var lines []string
	for len(lines) < n {
		p := g.pair(lang)
		if heldOut(p.English) {
			continue
		}
		lines = append(lines, p.English+" = "+p.Foreign)
	}
	return strings.Join(lines, "\n")
}

// Kind is a kind of passage.
type Kind int

// Passage kinds, in the order of Mixture's weights.
const (
	KindStory Kind = iota
	KindRoster
	KindArithmetic
	KindTranslation
	numKinds
)

// Mixture holds the share of each kind of passage in the training corpus,
// in percent: stories, rosters, arithmetic worksheets, translation lists.
var Mixture = [numKinds]int{40, 20, 20, 20}

// passage draws one passage of kind k.
func (g *Generator) passage(k Kind) string {
	switch k {
	case KindStory:
		return g.story().Text
	case KindRoster:
		return g.roster().Text()
	case KindArithmetic:
		return g.worksheet()
	default:
		return g.translations()
	}
}

func (g *Generator) kind() Kind {
	x := g.r.IntN(100)
	for k, w := range Mixture {
		if x < w {
			return Kind(k)
		}
		x -= w
	}
	return KindTranslation
}
