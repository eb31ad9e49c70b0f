package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// tokVector is one text → ids case from a published test suite.
type tokVector struct {
	name string
	text string
	ids  []int
}

// tokLlamaCppVectors reads llama.cpp's ggml-vocab-gpt-2 .inp/.out pair:
// cases separated by "\n__ggml_vocab_test__\n", one line of ids per case.
func tokLlamaCppVectors(t testing.TB) []tokVector {
	t.Helper()
	inp, err := os.ReadFile(sharedtest.Path(t, "data/gpt2_tokenizer/llamacpp_ggml-vocab-gpt-2.gguf.inp"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(sharedtest.Path(t, "data/gpt2_tokenizer/llamacpp_ggml-vocab-gpt-2.gguf.out"))
	if err != nil {
		t.Fatal(err)
	}
	texts := strings.Split(string(inp), "\n__ggml_vocab_test__\n")
	if texts[len(texts)-1] == "" {
		texts = texts[:len(texts)-1]
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(texts) != 46 || len(lines) != 46 {
		t.Fatalf("llama.cpp vectors: %d inputs and %d outputs, want 46 and 46", len(texts), len(lines))
	}
	vs := make([]tokVector, len(texts))
	for i := range texts {
		vs[i] = tokVector{name: fmt.Sprintf("llamacpp/%02d", i), text: texts[i], ids: []int{}}
		for _, f := range strings.Fields(lines[i]) {
			id, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("llama.cpp .out line %d: %v", i+1, err)
			}
			vs[i].ids = append(vs[i].ids, id)
		}
	}
	return vs
}

// tokPublicVectors reads public_test_vectors.json (tiktoken and
// GPT-3-Encoder test cases).
func tokPublicVectors(t testing.TB) []tokVector {
	t.Helper()
	data, err := os.ReadFile(sharedtest.Path(t, "data/gpt2_tokenizer/public_test_vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []struct {
			Source string `json:"source"`
			Text   string `json:"text"`
			IDs    []int  `json:"ids"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) != 27 {
		t.Fatalf("public vectors: %d cases, want 27", len(f.Cases))
	}
	vs := make([]tokVector, len(f.Cases))
	for i, c := range f.Cases {
		vs[i] = tokVector{name: fmt.Sprintf("%s/%02d", c.Source, i), text: c.Text, ids: c.IDs}
	}
	return vs
}

// The GPT-2 loaders are slow enough (50k vocabulary entries) to share.
var (
	tokGPT2Once  sync.Once
	tokGPT2      map[string]Tokenizer
	tokGPT2Error error
)

// tokGPT2Loaders returns the GPT-2 tokenizer loaded by every loader from the
// shared copies of the same 50257-token vocabulary.
func tokGPT2Loaders(t testing.TB) map[string]Tokenizer {
	t.Helper()
	dir := sharedtest.Path(t, "data/gpt2_tokenizer")
	tokGPT2Once.Do(func() {
		p := func(f string) string { return filepath.Join(dir, f) }
		tokGPT2 = map[string]Tokenizer{}
		add := func(name string, tok Tokenizer, err error) {
			if err != nil && tokGPT2Error == nil {
				tokGPT2Error = fmt.Errorf("%s: %w", name, err)
			}
			tokGPT2[name] = tok
		}
		tok, err := NewGPT2FromFiles(p("hf_gpt2_vocab.json"), p("hf_gpt2_merges.txt"))
		add("vocab.json+merges.txt", tok, err)
		tok, err = NewGPT2FromEncoderBPE(p("encoder.json"), p("vocab.bpe"))
		add("encoder.json+vocab.bpe", tok, err)
		tok, err = NewGPT2FromTokenizerJSON(p("hf_gpt2_tokenizer.json"))
		add("tokenizer.json", tok, err)
	})
	if tokGPT2Error != nil {
		t.Fatal(tokGPT2Error)
	}
	return tokGPT2
}

func TestGPT2Vectors(t *testing.T) {
	vectors := append(tokLlamaCppVectors(t), tokPublicVectors(t)...)
	for name, tok := range tokGPT2Loaders(t) {
		t.Run(name, func(t *testing.T) {
			if tok.VocabSize() != 50257 || tok.EOT() != 50256 {
				t.Fatalf("VocabSize %d EOT %d, want 50257 and 50256", tok.VocabSize(), tok.EOT())
			}
			pass := 0
			for _, v := range vectors {
				got := tok.Encode(v.text)
				if !slices.Equal(got, v.ids) {
					t.Errorf("%s: Encode(%q)\n got %v\nwant %v", v.name, v.text, got, v.ids)
					continue
				}
				if back := tok.Decode(got); back != v.text {
					t.Errorf("%s: Decode(Encode(%q)) = %q", v.name, v.text, back)
					continue
				}
				pass++
			}
			t.Logf("%d/%d vectors exact", pass, len(vectors))
		})
	}
}

// TestLoadTokenizerDirs checks LoadTokenizer's file detection: each
// directory holds one form of the GPT-2 files, and each must pass every
// public vector.
func TestLoadTokenizerDirs(t *testing.T) {
	src := sharedtest.Path(t, "data/gpt2_tokenizer")
	fixture := sharedtest.Path(t, "fixtures/models/gpt2-tiny")
	link := func(t *testing.T, pairs ...string) string {
		dir := t.TempDir()
		for i := 0; i < len(pairs); i += 2 {
			if err := os.Symlink(filepath.Join(src, pairs[i]), filepath.Join(dir, pairs[i+1])); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	vectors := append(tokLlamaCppVectors(t), tokPublicVectors(t)...)
	cases := []struct {
		name string
		dir  func(t *testing.T) string
	}{
		{"fixture vocab.json+merges.txt", func(*testing.T) string { return fixture }},
		{"encoder.json+vocab.bpe", func(t *testing.T) string {
			return link(t, "encoder.json", "encoder.json", "vocab.bpe", "vocab.bpe")
		}},
		{"tokenizer.json first", func(t *testing.T) string {
			// tokenizer.json wins over a broken vocab.json + merges.txt.
			dir := link(t, "hf_gpt2_tokenizer.json", "tokenizer.json")
			for _, f := range []string{"vocab.json", "merges.txt"} {
				if err := os.WriteFile(filepath.Join(dir, f), []byte("not json"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			return dir
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok, err := LoadTokenizer(c.dir(t))
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vectors {
				if got := tok.Encode(v.text); !slices.Equal(got, v.ids) {
					t.Errorf("%s: Encode(%q) = %v, want %v", v.name, v.text, got, v.ids)
				}
			}
		})
	}
}

func TestLoadTokenizerMissing(t *testing.T) {
	cases := []struct {
		name  string
		files []string
		want  []string
	}{
		{"empty", nil, []string{"tokenizer.json", "vocab.json + merges.txt", "encoder.json + vocab.bpe", "copied"}},
		{"half pair", []string{"vocab.json"}, []string{"found only vocab.json"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range c.files {
				if err := os.WriteFile(filepath.Join(dir, f), []byte("{}"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := LoadTokenizer(dir)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append(c.want, dir) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestCodegenAddedTokens uses the tokenizer.json with 38 whitespace-run
// added tokens: they are split out before pre-tokenization, leftmost and
// longest first; text without such runs encodes as plain GPT-2.
func TestCodegenAddedTokens(t *testing.T) {
	tok, err := NewGPT2FromTokenizerJSON(sharedtest.Path(t, "data/gpt2_tokenizer/ortgenai_gpt2_codegen_style_tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != 50295 || tok.EOT() != 50256 {
		t.Fatalf("VocabSize %d EOT %d, want 50295 and 50256", tok.VocabSize(), tok.EOT())
	}
	plain := 0
	for _, v := range append(tokLlamaCppVectors(t), tokPublicVectors(t)...) {
		if strings.Contains(v.text, "  ") || strings.Contains(v.text, "\t\t") {
			continue
		}
		plain++
		if got := tok.Encode(v.text); !slices.Equal(got, v.ids) {
			t.Errorf("%s: Encode(%q) = %v, want %v", v.name, v.text, got, v.ids)
		}
	}
	if plain < 60 {
		t.Errorf("only %d vectors without whitespace runs", plain)
	}
	// Hand-derived: ids of "a" (64), "b" (65), "Hello" (15496) and " Hello"
	// (18435) from encoder.json; the run ids from added_tokens (50286 is two
	// spaces, 50284 four, 50294 two tabs, 50257 thirty-one spaces).
	cases := []struct {
		text string
		want []int
	}{
		{"a  b", []int{64, 50286, 65}},
		{"a    Hello", []int{64, 50284, 15496}},
		{"a     Hello", []int{64, 50283, 15496}},
		{"\t\tb", []int{50294, 65}},
		{"a" + strings.Repeat(" ", 33) + "b", []int{64, 50257, 50286, 65}},
		{"a <|endoftext|>  b", []int{64, 220, 50256, 50286, 65}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%q", c.text), func(t *testing.T) {
			got := tok.Encode(c.text)
			if !slices.Equal(got, c.want) {
				t.Errorf("Encode = %v, want %v", got, c.want)
			}
			if back := tok.Decode(got); back != c.text {
				t.Errorf("Decode = %q", back)
			}
		})
	}
}

// TestTinyGPT2Tokenizer checks hf-internal-testing/tiny-random-gpt2's
// 1000-token tokenizer.json on cases derived by hand from its merges
// (ranks: Ġ t 0, h e 1, Ġt he 4, Ġ w 12, a s 32, Ġ T 42, Ġw as 64,
// ĠT he 67, a b 178). Its vocabulary lacks 63 of the 256 byte symbols
// (tab among them): with no unk_token, tokenizers drops them.
func TestTinyGPT2Tokenizer(t *testing.T) {
	tok, err := LoadTokenizer(sharedtest.Path(t, "data/tiny_gpt2"))
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != 1000 || tok.EOT() != 0 {
		t.Fatalf("VocabSize %d EOT %d, want 1000 and 0", tok.VocabSize(), tok.EOT())
	}
	cases := []struct {
		text string
		want []int
	}{
		{" the", []int{198}},
		{" was", []int{258}},
		{" The", []int{261}},
		{"ab", []int{372}},
		{"  ", []int{159, 159}},
		{"\tab", []int{372}},
		{"<|endoftext|>", []int{0}},
		{"a<|endoftext|>b", []int{65, 0, 66}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%q", c.text), func(t *testing.T) {
			if got := tok.Encode(c.text); !slices.Equal(got, c.want) {
				t.Errorf("Encode = %v, want %v", got, c.want)
			}
		})
	}
}

// TestLambadaIDs compares every LAMBADA item with the ids in
// generated_lambada_test_gpt2_ids.jsonl, made by the data helper's own
// Python GPT-2 BPE (independent of this code, validated on the same public
// vectors; a cross-check, not an upstream reference).
func TestLambadaIDs(t *testing.T) {
	tok := tokGPT2Loaders(t)["vocab.json+merges.txt"]
	texts, err := os.ReadFile(sharedtest.Path(t, "data/lambada/lambada_test.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	ids, err := os.ReadFile(sharedtest.Path(t, "data/lambada/generated_lambada_test_gpt2_ids.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	tl := strings.Split(strings.TrimSuffix(string(texts), "\n"), "\n")
	il := strings.Split(strings.TrimSuffix(string(ids), "\n"), "\n")
	if len(tl) != 5153 || len(il) != 5153 {
		t.Fatalf("%d texts and %d id rows, want 5153", len(tl), len(il))
	}
	bad := 0
	for i := range tl {
		var doc struct{ Text string }
		var row struct {
			I               int   `json:"i"`
			ContextIDs      []int `json:"context_ids"`
			ContinuationIDs []int `json:"continuation_ids"`
		}
		if err := json.Unmarshal([]byte(tl[i]), &doc); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(il[i]), &row); err != nil || row.I != i {
			t.Fatalf("ids line %d: %v (i=%d)", i+1, err, row.I)
		}
		cut := strings.LastIndexByte(doc.Text, ' ')
		ctx, cont := doc.Text[:cut], doc.Text[cut:]
		gotCtx, gotCont := tok.Encode(ctx), tok.Encode(cont)
		if !slices.Equal(gotCtx, row.ContextIDs) || !slices.Equal(gotCont, row.ContinuationIDs) ||
			!slices.Equal(tok.Encode(doc.Text), append(gotCtx, gotCont...)) {
			if bad++; bad <= 5 {
				t.Errorf("item %d: context %v / %v, continuation %v / %v", i, gotCtx, row.ContextIDs, gotCont, row.ContinuationIDs)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d items differ", bad, len(tl))
	}
}

// TestCorpusTokenStats compares whole-corpus encodings with
// generated_corpus_token_stats.json (token counts and the sha256 of the id
// array written as JSON without spaces). The Hugging Face-style join of
// wiki.test.raw must give 287,644 tokens, the count printed by transformers
// in its perplexity guide: an upstream figure.
func TestCorpusTokenStats(t *testing.T) {
	tok := tokGPT2Loaders(t)["tokenizer.json"]
	data, err := os.ReadFile(sharedtest.Path(t, "data/gpt2_tokenizer/generated_corpus_token_stats.json"))
	if err != nil {
		t.Fatal(err)
	}
	var stats map[string]json.RawMessage
	if err := json.Unmarshal(data, &stats); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"wikitext2/wiki.test.raw", "wikitext2/wiki.test.tokens", "ptb/ptb.test.txt"} {
		t.Run(name, func(t *testing.T) {
			var want struct {
				Count  int    `json:"gpt2_token_count"`
				SHA    string `json:"ids_sha256"`
				First  []int  `json:"first_20_ids"`
				Last   []int  `json:"last_20_ids"`
				HFJoin *struct {
					Count int `json:"gpt2_token_count"`
				} `json:"hf_style_join"`
			}
			if err := json.Unmarshal(stats[name], &want); err != nil || want.Count == 0 {
				t.Fatalf("no stats for %s: %v", name, err)
			}
			text, err := os.ReadFile(sharedtest.Path(t, "data/"+name))
			if err != nil {
				t.Fatal(err)
			}
			ids := tok.Encode(string(text))
			js, _ := json.Marshal(ids)
			sum := sha256.Sum256(js)
			if len(ids) != want.Count || hex.EncodeToString(sum[:]) != want.SHA {
				t.Errorf("%d tokens sha256 %x, want %d and %s", len(ids), sum, want.Count, want.SHA)
			}
			if !slices.Equal(ids[:20], want.First) || (want.Last != nil && !slices.Equal(ids[len(ids)-20:], want.Last)) {
				t.Errorf("first/last ids %v … %v, want %v … %v", ids[:20], ids[len(ids)-20:], want.First, want.Last)
			}
			if want.HFJoin != nil {
				// Rows are the file's lines with their "\n"; a blank " \n"
				// line is an empty row; the text is "\n\n".join(rows).
				lines := strings.SplitAfter(string(text), "\n")
				if lines[len(lines)-1] == "" {
					lines = lines[:len(lines)-1]
				}
				for i, l := range lines {
					if strings.TrimSpace(l) == "" {
						lines[i] = ""
					}
				}
				n := len(tok.Encode(strings.Join(lines, "\n\n")))
				if len(lines) != 4358 || n != 287644 || n != want.HFJoin.Count {
					t.Errorf("HF-style join: %d rows, %d tokens, want 4358 rows and 287644 tokens", len(lines), n)
				}
			}
		})
	}
}

// TestDecodeChecked checks that ids outside the vocabulary are errors for
// DecodeChecked and panics for Decode.
func TestDecodeChecked(t *testing.T) {
	tok := tokGPT2Loaders(t)["tokenizer.json"]
	cases := []struct {
		ids  []int
		want string // "" when valid
	}{
		{[]int{15496, 995}, ""},
		{[]int{15496, 50257}, "token id 50257 at position 1"},
		{[]int{-1}, "token id -1 at position 0"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.ids), func(t *testing.T) {
			s, err := DecodeChecked(tok, c.ids)
			if c.want == "" {
				if err != nil || s != "Hello world" {
					t.Errorf("DecodeChecked = %q, %v", s, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("DecodeChecked error %v, want %q", err, c.want)
			}
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "model: ") {
					t.Errorf("Decode panic %v, want a model: panic", r)
				}
			}()
			tok.Decode(c.ids)
		})
	}
}

// TestEncodeConcurrent encodes from several goroutines at once (run with
// -race to check the word cache's locking).
func TestEncodeConcurrent(t *testing.T) {
	tok := tokGPT2Loaders(t)["tokenizer.json"]
	vectors := tokLlamaCppVectors(t)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rep := 0; rep < 20; rep++ {
				for i := range vectors {
					v := vectors[(i+g*7)%len(vectors)]
					if got := tok.Encode(v.text); !slices.Equal(got, v.ids) {
						errs <- v.name
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for name := range errs {
		t.Errorf("concurrent Encode differs on %s", name)
	}
}

// TestInvalidUTF8RoundTrip: bytes that are not UTF-8 still encode as
// byte-level tokens and decode to the same bytes.
func TestInvalidUTF8RoundTrip(t *testing.T) {
	tok := tokGPT2Loaders(t)["tokenizer.json"]
	for _, s := range []string{"\xff", "a\xc3", "\xe2\x82 x", "caf\xe9 \x80\x80"} {
		ids := tok.Encode(s)
		if got := tok.Decode(ids); got != s {
			t.Errorf("Decode(Encode(%q)) = %q (ids %v)", s, got, ids)
		}
	}
	if !bytes.Equal([]byte(tok.Decode(tok.Encode("\xff"))), []byte{0xff}) {
		t.Error("byte 0xff lost")
	}
}
