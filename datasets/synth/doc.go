// Package synth generates kshot's synthetic English-like corpus and the
// held-out evaluation sets built the same way: stories whose last word is
// predictable only from entities introduced earlier (as in LAMBADA),
// rosters with a blanked common noun and ten candidates taken from the
// passage (as in the Children's Book Test), arithmetic in words, and
// parallel sentences in two invented languages whose words map one to one
// onto English ones.
//
// Everything is deterministic from a seed (math/rand/v2's PCG). Stories,
// rosters and translation sentences are split into a training part and a
// held-out part by a hash of their text, so that no evaluation passage or
// translation sentence ever occurs in a training corpus, whatever the
// seeds. Arithmetic facts are a closed set of a few hundred sums and
// differences; they occur in both (the evaluation prompts are fresh draws).
package synth
