package synth

// The lexicon: every word the generator writes. Names carry a pronoun so
// that stories can refer back to their characters.

type person struct {
	name string
	he   bool
}

var people = []person{
	{"Anna", false}, {"Ben", true}, {"Clara", false}, {"David", true}, {"Emma", false},
	{"Frank", true}, {"Grace", false}, {"Henry", true}, {"Iris", false}, {"Jack", true},
	{"Kate", false}, {"Leo", true}, {"Mia", false}, {"Noah", true}, {"Olga", false},
	{"Paul", true}, {"Rosa", false}, {"Sam", true}, {"Tina", false}, {"Victor", true},
	{"Wendy", false}, {"Max", true}, {"Lucy", false}, {"Oscar", true}, {"Nina", false},
	{"Hugo", true}, {"Zoe", false}, {"Felix", true}, {"Lily", false}, {"Tom", true},
}

var objects = []string{
	"lamp", "cup", "key", "book", "hat", "ball", "coin", "ring", "box", "map",
	"pen", "bell", "kite", "drum", "shoe", "bag", "clock", "spoon", "plate", "knife",
	"brush", "comb", "rope", "stone", "shell", "flute", "mask", "scarf", "glove", "candle",
	"basket", "ladder", "mirror", "bottle", "button", "ribbon", "blanket", "pillow", "wallet", "jar",
}

var places = []string{
	"kitchen", "garden", "market", "river", "forest", "school", "library", "station", "bakery", "harbor",
	"castle", "village", "meadow", "tower", "bridge", "cellar", "church", "farm", "beach", "hill",
}

var animals = []string{"dog", "cat", "horse", "bird", "fox", "goat", "mouse", "rabbit", "duck", "sheep", "owl", "frog", "pig", "cow", "bear"}

var adjectives = []string{"red", "blue", "green", "old", "new", "small", "big", "heavy", "shiny", "broken", "wooden", "golden", "dusty", "warm", "strange"}

var furniture = []string{"table", "shelf", "floor", "bed", "chair", "desk", "bench", "stove"}

var moods = []string{"happy", "tired", "hungry", "quiet", "busy", "sleepy", "cheerful", "worried"}

var weathers = []string{"cold", "warm", "windy", "rainy", "sunny", "grey", "bright", "still"}

var times = []string{"One morning", "That afternoon", "On Sunday", "After lunch", "Early one day", "Before dinner"}

// numberWords spells the numbers 0 to 20.
var numberWords = []string{
	"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
	"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
}

// The translation lexicon: a small English vocabulary and its words in
// the two invented languages, Zanti and Korel, index by index. Zanti puts
// adjectives after their noun; Korel keeps English word order.
var (
	trAdjectives = []string{"red", "blue", "green", "old", "small", "big", "heavy", "shiny", "wooden", "golden"}
	trAnimals    = []string{"dog", "cat", "horse", "bird", "fox", "goat", "mouse", "rabbit", "duck", "owl"}
	trVerbs      = []string{"sees", "finds", "wants", "likes", "carries", "hides", "holds", "drops"}
	trObjects    = []string{"lamp", "cup", "key", "book", "hat", "ball", "coin", "ring", "box", "map", "pen", "bell"}

	zantiThe        = "lo"
	zantiAdjectives = []string{"rossi", "blavu", "verdo", "vekki", "pikko", "grana", "pesso", "brilla", "lenno", "dorra"}
	zantiAnimals    = []string{"kano", "gatti", "kavallo", "pazzo", "volpa", "kapra", "topi", "konij", "anatra", "gufo"}
	zantiVerbs      = []string{"vidra", "trova", "vola", "ama", "porta", "kela", "tena", "lassa"}
	zantiObjects    = []string{"lumo", "tazza", "kiavi", "libra", "kappo", "palla", "moneta", "anello", "skato", "karta", "penna", "kampa"}

	korelThe        = "ur"
	korelAdjectives = []string{"tek", "mosh", "garn", "vold", "nip", "brak", "dum", "shen", "trel", "aurk"}
	korelAnimals    = []string{"hund", "mirk", "hest", "fugl", "rask", "gedd", "mus", "kan", "ande", "ugl"}
	korelVerbs      = []string{"sor", "fin", "vil", "lik", "bar", "gom", "hol", "slip"}
	korelObjects    = []string{"lamk", "kop", "nok", "bok", "hatt", "bol", "mynt", "rinn", "kass", "kort", "penk", "klok"}
)

// Language is an invented language of the translation passages.
type Language int

const (
	// Zanti puts adjectives after nouns: "lo kano rossi vidra lo lumo".
	Zanti Language = iota
	// Korel keeps English word order: "ur tek hund sor ur lamk".
	Korel
)

// String returns the language's name.
func (l Language) String() string {
	if l == Zanti {
		return "Zanti"
	}
	return "Korel"
}
