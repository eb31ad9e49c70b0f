package main

// commandDocs holds the help of every subcommand (and of the
// subcommands of kshot cache), keyed as typed after "kshot".
var commandDocs = map[string]commandDoc{
	"run": {
		synopsis: []string{
			"kshot run [flags]                          (the main job: the embedded ladder, offline)",
			"kshot run --model MODEL --tasks TASK[,TASK...] [flags]",
			"kshot run SUITE.yaml [flags]",
		},
		about: `Evaluates language models on tasks and prints a results table; results files
(lm-evaluation-harness layout) and per-document samples go to --output.

MODEL is a checkpoint directory in Hugging Face layout (config.json,
model.safetensors, tokenizer files), a Hugging Face Hub id (owner/name or
owner/name@revision, downloaded into the Hub cache), or api:URL for a model
served over the OpenAI-compatible completions API (with --api-model NAME).

SUITE.yaml lists models × tasks × shots × seeds (see suites/); flags given
next to it override the suite's values. Without --model, --tasks or a suite,
kshot evaluates its embedded model ladder on the synthetic suite.

Answers are cached (see kshot cache): a rerun of the same command, or of an
interrupted one, computes only what is missing.`,
		examples: []string{
			"kshot run",
			"kshot run --model gpt2 --tasks lambada_openai,wikitext2 --limit 100",
			"kshot run --model ./gpt2 --tasks copa --shots 0,1,5 --data copa=copa.jsonl",
			"kshot run suites/gpt2-paper.yaml --data-dir ../shared/data",
			"kshot run --model api:http://127.0.0.1:8080/v1 --api-model gpt2 --tasks lambada_openai",
		},
	},
	"tasks": {
		synopsis: []string{"kshot tasks"},
		about:    `Lists the tasks kshot knows, each with its description and a summary of its requests, metrics and data.`,
		examples: []string{"kshot tasks", "kshot tasks | grep lambada"},
	},
	"merge": {
		synopsis: []string{"kshot merge SHARD_DIR... --output DIR"},
		about: `Merges the results of a sharded run (kshot run --shard i/n, one directory per
shard holding its results_*.json and samples) into the results of one run,
as if it had not been sharded. Every shard must be present exactly once.`,
		examples: []string{"kshot merge out/gpt2/shard-0-of-2 out/gpt2/shard-1-of-2 --output merged"},
	},
	"cache": {
		synopsis: []string{
			"kshot cache stats [--cache-dir DIR]",
			"kshot cache prune [--model KEY] [--older-than DURATION] [--cache-dir DIR]",
		},
		about: `Shows or prunes the request cache, where kshot run keeps every answer it
computed, keyed by the model's content hash and the request.

stats prints, per model key (the content hash of a checkpoint with the
numerics and kernel path, or api|MODEL|... for a served model), the number of
entries, their size and when the last was written. prune deletes entries:
those of one model key (--model takes the key as stats prints it), those
older than a duration, or all.`,
		examples: []string{"kshot cache stats", "kshot cache prune --older-than 720h", "kshot cache prune --cache-dir /tmp/kshot-cache  # every entry"},
	},
	"cache stats": {
		synopsis: []string{"kshot cache stats [--cache-dir DIR]"},
		about:    `Prints, per model key in the request cache (as kshot run computes it), the number of entries, their size and when the last was written, then the totals.`,
		examples: []string{"kshot cache stats", "kshot cache stats --cache-dir /tmp/kshot-cache"},
	},
	"cache prune": {
		synopsis: []string{"kshot cache prune [--model KEY] [--older-than DURATION] [--cache-dir DIR]"},
		about: `Deletes entries from the request cache: those of one model key (--model
takes the key as kshot cache stats prints it; a key with no entries is
reported with exit status 1), those written longer ago than --older-than, or,
with neither, all; then compacts the file and prints how many entries went.`,
		examples: []string{"kshot cache prune --older-than 720h", "kshot cache prune --cache-dir /tmp/kshot-cache  # every entry"},
	},
	"tokenize": {
		synopsis: []string{"kshot tokenize --model DIR [--jsonl] < TEXT"},
		about: `Prints the token ids of the text on standard input as one JSON array, with
the tokenizer files of a model directory (vocab.json and merges.txt, or
tokenizer.json). With --jsonl the input is JSON Lines: each line is one JSON
string, and each gets its own array of ids on one line.`,
		examples: []string{
			`echo -n "Hello world" | kshot tokenize --model ../shared/fixtures/models/gpt2-tiny`,
			`printf '"Hello"\n" world"\n' | kshot tokenize --model ./gpt2 --jsonl`,
		},
	},
	"logprobs": {
		synopsis: []string{"kshot logprobs --model DIR < SEQUENCES.jsonl"},
		about: `Prints the log-probability (natural log) of every token of each input line
given the tokens before it, with the greedy token at each position, as one
JSON object per line. An input line is {"ids": [...]} (token ids, no
tokenizer needed) or {"text": "..."} (encoded with the model's tokenizer).`,
		examples: []string{
			`echo '{"ids":[1,2,3]}' | kshot logprobs --model ../shared/fixtures/models/openai-gpt-tiny`,
			`echo '{"text":"Hello world"}' | kshot logprobs --model ./gpt2`,
		},
	},
	"report": {
		synopsis: []string{"kshot report [flags] RESULTS..."},
		about: `Merges results files into tables (text, Markdown, CSV, LaTeX), scaling and
shots plots and a self-contained report.html with a per-sample view.
RESULTS are results_*.json files of kshot run, or directories searched for
them (run output directories, earlier reports).`,
		examples: []string{
			"kshot report kshot-out --output report",
			"kshot report out/ --output report --reference ../shared/papers/gpt2_table3.csv --fit --extrapolate 1.3e9,175e9",
		},
	},
	"compare": {
		synopsis: []string{"kshot compare [flags] BASE NEW"},
		about: `Compares two runs task by task with paired significance tests (McNemar for
accuracies, a paired bootstrap otherwise) and prints which got better or
worse. BASE and NEW are results files of kshot run, or directories (run
outputs, reports) holding them; pick a model with --base-model/--new-model
when a directory holds several. Exit status 1 when --fail-on finds a
regression, 2 on bad input.`,
		examples: []string{
			"kshot compare baseline/ new/",
			"kshot compare baseline/ new/ --fail-on worse --min-delta acc=0.005 --markdown compare.md --junit compare.xml",
		},
	},
	"train": {
		synopsis: []string{
			"kshot train --size RUNG --out DIR [flags]",
			"kshot train --ladder --out DIR",
		},
		about: `Trains a small GPT-2 on the synthetic corpus (or on --corpus), writing a
checkpoint directory in Hugging Face layout; training is deterministic for a
seed and resumable from --checkpoint-dir. With --ladder it rebuilds every
model of the embedded ladder, bit for bit.`,
		examples: []string{
			"kshot train --size synth-tiny --out /tmp/synth-tiny",
			"kshot train --ladder --out model/ladder/models",
			"kshot train --corpus book.txt --n-embd 64 --n-layer 2 --n-head 2 --steps 500 --lr 3e-3 --out /tmp/book",
		},
	},
	"metric": {
		synopsis: []string{"kshot metric bleu|chrf|ter --refs REF [--refs REF2 ...] [flags] < HYP"},
		about: `Scores the hypotheses on standard input (one segment per line) against
line-aligned reference files, computed like sacreBLEU 2.x, and prints the
corpus score in sacreBLEU's text format, e.g.
  BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)

With one --refs file an empty line is an empty reference, as in sacreBLEU.
With several, an empty line means that file has no reference for the
segment; every segment needs at least one.`,
		examples: []string{
			"kshot metric bleu --refs ref.txt < hyp.txt",
			"kshot metric chrf --chrf-word-order 2 --refs ref.txt < hyp.txt  # chrF++",
			"kshot metric ter --refs ref1.txt --refs ref2.txt --score-only < hyp.txt",
		},
	},
	"serve": {
		synopsis: []string{"kshot serve --model DIR [flags]"},
		about: `Serves a model with the built-in decoder over the OpenAI-compatible
completions API (POST /v1/completions with echo and logprobs, GET
/v1/models), so that kshot run --model api:URL, lm-evaluation-harness or an
OpenAI client can evaluate it. Concurrent requests are batched.`,
		examples: []string{
			"kshot serve --model ../shared/fixtures/models/gpt2-tiny",
			"kshot serve --model ./gpt2 --addr 0.0.0.0:8080 --name gpt2",
		},
	},
	"probe": {
		synopsis: []string{"kshot probe [flags] api:URL"},
		about: `Asks an OpenAI-compatible server a handful of fixed requests and reports what
it really does: the models it lists, its context window, whether it returns
prompt log-probabilities (echo), how it takes max_tokens 0 and stop strings,
whether it has chat completions, and its fingerprint; then which kinds of
task kshot run can evaluate on it. kshot run makes the same probe before its
first request.`,
		examples: []string{
			"kshot probe api:http://127.0.0.1:8080/v1",
			"kshot probe api:http://127.0.0.1:8080/v1 --api-model gpt2 --json",
		},
	},
	"version": {
		synopsis: []string{"kshot version"},
		about:    `Prints kshot's version, its module version and VCS commit, the compute kernels in use and the Go version it was built with.`,
		examples: []string{"kshot version"},
	},
	"help": {
		synopsis: []string{"kshot help [COMMAND]"},
		about:    `Lists the commands, or prints the help of one (the same as kshot COMMAND -h).`,
		examples: []string{"kshot help", "kshot help run", "kshot help cache prune"},
	},
}
