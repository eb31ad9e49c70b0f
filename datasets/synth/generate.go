package synth

import (
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
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
// an object's owner. Text is Context+Target+".". Setup is the part
// before the final sentence; the held-out split is made on it, so that
// no evaluated setup occurs in training under any final sentence.
type Story struct {
	Setup   string
	Context string
	Target  string
	Text    string
}

// storyChar is a character of a story with what the story binds to them.
type storyChar struct {
	p        person
	obj, loc string
	adj      string
}

// storySetup draws the characters of a story and the sentences that
// introduce them, with zero to two unrelated sentences after them.
func (g *Generator) storySetup() ([]storyChar, string) {
	r := g.r
	n := 2 + r.IntN(2)
	who := distinct(r, n, len(people))
	objs := distinct(r, n, len(objects))
	locs := distinct(r, n, len(places))
	cs := make([]storyChar, n)
	for i := range cs {
		cs[i] = storyChar{people[who[i]], objects[objs[i]], places[locs[i]], pick(r, adjectives)}
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
	return cs, strings.Join(sents, " ")
}

// callback draws a final sentence about one of cs: its prompt and the
// word (without a space) that ends it.
func (g *Generator) callback(cs []storyChar) (prompt, target string) {
	r := g.r
	c := cs[r.IntN(len(cs))]
	switch r.IntN(6) {
	case 0:
		return "Later that day, " + c.p.name + " picked up the", c.obj
	case 1:
		return "So " + c.p.name + " went home and cleaned the", c.obj
	case 2:
		return "In the evening, " + c.p.name + " went back to the", c.loc
	case 3:
		return "At last " + c.p.name + " was happy to see the", c.loc
	case 4:
		return "Everyone knew that the " + c.obj + " belonged to", c.p.name
	default:
		return "The " + c.adj + " " + c.obj + " was found by", c.p.name
	}
}

// story draws one story with one final sentence.
func (g *Generator) story() Story {
	cs, setup := g.storySetup()
	final, target := g.callback(cs)
	ctx := setup + " " + final
	return Story{Setup: setup, Context: ctx, Target: " " + target, Text: ctx + " " + target + "."}
}

// trainingStory draws a story for the training corpus: a setup and one
// to four final sentences, each fixed by an entity of the setup, so that
// the binding the evaluation asks for once is seen several times per
// passage. held reports whether an evaluation story could be drawn from
// it: its setup, or its setup with its first final sentence (what an
// evaluation story is, and what the split hashes), is held out.
func (g *Generator) trainingStory() (text string, held bool) {
	cs, setup := g.storySetup()
	text = setup
	for i := range 1 + g.r.IntN(4) {
		final, target := g.callback(cs)
		text += " " + final + " " + target + "."
		if i == 0 {
			held = heldOut(setup) || heldOut(text)
		}
	}
	return text, held
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

// rosterQuestion returns a question about who[q] with its blank.
func (g *Generator) rosterQuestion(name string) string {
	switch g.r.IntN(3) {
	case 0:
		return "Then " + name + " picked up the " + Blank + "."
	case 1:
		return "Later " + name + " lost the " + Blank + "."
	default:
		return "So " + name + " gave away the " + Blank + "."
	}
}

// rosterPassage draws five characters, the objects they have and five
// more objects lying about: the passage, the names and the ten objects
// (the first five held by the five names, in order).
func (g *Generator) rosterPassage() (passage string, names, objs []string) {
	r := g.r
	who := distinct(r, 5, len(people))
	oi := distinct(r, 10, len(objects))
	for _, w := range who {
		names = append(names, people[w].name)
	}
	for _, o := range oi {
		objs = append(objs, objects[o])
	}
	var sents []string
	for i, name := range names {
		sents = append(sents, name+" had the "+objs[i]+".")
	}
	for _, o := range objs[5:] {
		sents = append(sents, "There was a "+o+" on the "+pick(r, furniture)+".")
	}
	r.Shuffle(len(sents), func(i, j int) { sents[i], sents[j] = sents[j], sents[i] })
	return strings.Join(sents, " "), names, objs
}

func (g *Generator) roster() Roster {
	passage, names, objs := g.rosterPassage()
	q := g.r.IntN(5)
	question := g.rosterQuestion(names[q])
	opts := slices.Clone(objs)
	answer := opts[q]
	sortStrings(opts)
	gold := indexOf(opts, answer, func(s string) string { return s })
	return Roster{Passage: passage, Question: question, Options: opts, Gold: gold}
}

// trainingRoster draws a roster for the training corpus: the passage and
// one to three of its questions answered. held reports whether an
// evaluation roster could be drawn from its passage: the passage, or the
// passage with any of its fifteen answered questions, is held out.
func (g *Generator) trainingRoster() (text string, held bool) {
	passage, names, objs := g.rosterPassage()
	text = passage
	for _, q := range distinct(g.r, 1+g.r.IntN(3), 5) {
		text += " " + strings.Replace(g.rosterQuestion(names[q]), Blank, objs[q], 1)
	}
	held = heldOut(passage)
	for i, name := range names {
		for _, q := range []string{"Then " + name + " picked up the ", "Later " + name + " lost the ", "So " + name + " gave away the "} {
			held = held || heldOut(passage+" "+q+objs[i]+".")
		}
	}
	return text, held
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

// The conventions of the lists in the training corpus. A worksheet
// answers in words or in digits and a translation list is in Zanti or in
// Korel; each line keeps its list's convention with probability
// listLoyalty and takes the other one otherwise, as lists written by
// people are mostly but not always consistent. The evaluation asks for
// words and for Zanti, the less common conventions, so that
//
//   - with no example the convention is a guess that leans the wrong
//     way: P(words) = 0.4·0.8 + 0.6·0.2 = 0.44, P(Zanti) = 0.47;
//   - one example moves it over one half: P(words) = 0.64, P(Zanti) = 0.66
//     for a model that reads its context as Bayes would;
//   - five examples settle the list's convention: P(words) ≈ P(Zanti) ≈ 0.80.
//
// A model that reads the examples thus answers zero-shot < one-shot <
// few-shot, and how far it gets at each is what it learnt of the facts
// and the words: the papers' in-context learning, by construction.
const (
	wordsShare  = 40 // percent of worksheets answered in words
	zantiShare  = 45 // percent of translation lists in Zanti
	listLoyalty = 80 // percent of a list's lines in the list's convention
	minListLen  = 2
	maxListLen  = 10
)

// listLen draws the number of lines of a list.
func (g *Generator) listLen() int { return minListLen + g.r.IntN(maxListLen-minListLen+1) }

// loyal reports whether the next line keeps its list's convention.
func (g *Generator) loyal() bool { return g.r.IntN(100) < listLoyalty }

// worksheet returns 2 to 10 facts, one "text answer" per line, answered
// in words or digits as the sheet's convention says.
func (g *Generator) worksheet() string {
	words := g.r.IntN(100) < wordsShare
	lines := make([]string, g.listLen())
	for i := range lines {
		f := g.fact()
		if g.loyal() != words {
			f.Answer = strconv.Itoa(slices.Index(numberWords, f.Answer))
		}
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

// translations returns 2 to 10 training pairs, one "english = foreign"
// per line, mostly in the list's language. heldOut chooses the side of
// the split the English sentences come from.
func (g *Generator) translations(heldOutSide bool) string {
	zanti := g.r.IntN(100) < zantiShare
	n := g.listLen()
	var lines []string
	for len(lines) < n {
		lang := Korel
		if g.loyal() == zanti {
			lang = Zanti
		}
		p := g.pair(lang)
		if heldOut(p.English) != heldOutSide {
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

// passage draws one passage of kind k for the training corpus (heldOut
// false) or for the held-out perplexity set (true): its text, and
// whether it is on the side of the split asked for (arithmetic facts are
// shared by design and always are).
func (g *Generator) passage(k Kind, heldOutSide bool) (string, bool) {
	switch k {
	case KindStory:
		text, held := g.trainingStory()
		return text, held == heldOutSide
	case KindRoster:
		text, held := g.trainingRoster()
		return text, held == heldOutSide
	case KindArithmetic:
		return g.worksheet(), true
	default:
		return g.translations(heldOutSide), true
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
