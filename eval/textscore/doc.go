// Package textscore scores generated answers and summaries exactly as the
// official scripts of their benchmarks do: SQuAD 2.0's evaluate-v2.0.py
// (answer normalisation, best over gold answers, no-answer questions),
// CoQA's evaluate-v1.0.py (its F1 with the leave-one-out average over the
// human references), DROP's drop_eval.py (numbers, multi-span answers and
// the bipartite alignment of spans), SuperGLUE's MultiRC F1a and exact
// match and ReCoRD's max-over-answers F1 and exact match, and Google's
// rouge-score (ROUGE-N, ROUGE-L and the summary-level ROUGE-Lsum, with its
// tokenizer and NLTK's Porter stemmer). Where the scripts rely on Python
// (str.lower, str.split, string.punctuation, re's Unicode \b, float()),
// this package reproduces Python's behaviour. Scores are fractions in
// [0, 1], as lm-evaluation-harness reports them (the scripts print 100×).
// It depends on nothing else in kshot.
package textscore
