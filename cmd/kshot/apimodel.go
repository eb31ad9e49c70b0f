package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/model"
	"github.com/kshot-eval/kshot/model/apilm"
)

// apiFlags are kshot run's flags for models served over the
// OpenAI-compatible completions API (--model api:URL).
type apiFlags struct {
	model         string
	endpoints     listFlag
	keyEnv        string
	tokenizer     string
	concurrency   int
	echoMaxTokens int
	maxLength     int
	retries       int
	timeout       time.Duration
	fingerprint   string
	chat          bool
	systemPrompt  string
	multiturn     bool
}

// register adds the flags to fs.
func (a *apiFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.model, "api-model", "", "with --model api:URL: the model name the server serves (default: the one model GET URL/models lists)")
	fs.Var(&a.endpoints, "endpoint", "with --model api:URL: another server of the same model; requests are spread over all (repeatable)")
	fs.StringVar(&a.keyEnv, "api-key-env", "OPENAI_API_KEY", "environment variable holding the API key (never printed)")
	fs.StringVar(&a.tokenizer, "api-tokenizer", "", "directory with the served model's tokenizer files: checks the server's tokenization, cuts long contexts and perplexity windows as the built-in decoder does")
	fs.IntVar(&a.concurrency, "api-concurrency", 4, "requests in flight per endpoint")
	fs.IntVar(&a.echoMaxTokens, "api-echo-max-tokens", 0, "max_tokens of scoring requests (1 for servers that refuse 0, e.g. recent vLLM)")
	fs.IntVar(&a.maxLength, "api-max-length", 0, "the server's context window in tokens, prompt plus generated tokens (0: found by the probe, else 2048)")
	fs.IntVar(&a.retries, "api-retries", 4, "retries of a request after 429, 5xx, a timeout or a refused connection (0: none)")
	fs.DurationVar(&a.timeout, "api-timeout", 5*time.Minute, "time limit of one HTTP request")
	fs.BoolVar(&a.chat, "api-chat", false, "with --model api:URL: generate through POST URL/chat/completions (the server's chat template applies; the few-shot prompt is one user message); loglikelihood and perplexity tasks are refused")
	fs.StringVar(&a.systemPrompt, "system-prompt", "", "with --api-chat: a system message sent before the prompt")
	fs.BoolVar(&a.multiturn, "fewshot-as-multiturn", false, "with --api-chat: send the few-shot examples as alternating user and assistant turns, the task's description as the system message (lm-evaluation-harness's fewshot_as_multiturn)")
	fs.StringVar(&a.fingerprint, "api-fingerprint", "", "pin the served model's fingerprint in the request cache key (default: a hash of the server's answers to the probe)")
}

// isAPIModel reports whether a --model value names a served model.
func isAPIModel(m string) bool { return strings.HasPrefix(m, "api:") }

// openAPIModel probes the server named by spec ("api:URL") and connects
// to its model with the flags' settings (apilm.Open).
func openAPIModel(spec string, a *apiFlags) (*apilm.LM, error) {
	cfg, err := apiConfig(spec, a)
	if err != nil {
		return nil, err
	}
	return apilm.Open(context.Background(), cfg)
}

// apiConfig checks the flags and turns them into apilm's configuration.
func apiConfig(spec string, a *apiFlags) (apilm.Config, error) {
	var none apilm.Config
	switch {
	case a.concurrency < 1:
		return none, usageError{fmt.Sprintf("--api-concurrency %d must be at least 1", a.concurrency)}
	case a.echoMaxTokens < 0:
		return none, usageError{fmt.Sprintf("--api-echo-max-tokens %d is negative", a.echoMaxTokens)}
	case a.maxLength < 0:
		return none, usageError{fmt.Sprintf("--api-max-length %d is negative", a.maxLength)}
	case a.retries < 0:
		return none, usageError{fmt.Sprintf("--api-retries %d is negative", a.retries)}
	case a.timeout <= 0:
		return none, usageError{fmt.Sprintf("--api-timeout %v must be positive", a.timeout)}
	case a.systemPrompt != "" && !a.chat:
		return none, usageError{"--system-prompt needs --api-chat (completions endpoints take no system message)"}
	case a.multiturn && !a.chat:
		return none, usageError{"--fewshot-as-multiturn needs --api-chat (completions endpoints take one prompt, not turns)"}
	}
	cfg := apilm.Config{Endpoints: append([]string{strings.TrimPrefix(spec, "api:")}, a.endpoints...), Model: a.model,
		Concurrency: a.concurrency, Timeout: a.timeout, Retries: a.retries, EchoMaxTokens: a.echoMaxTokens, MaxLength: a.maxLength,
		Fingerprint: a.fingerprint}
	if a.retries == 0 {
		cfg.Retries = -1
	}
	if a.chat {
		cfg.Chat = &apilm.ChatOptions{SystemPrompt: a.systemPrompt, FewshotAsMultiturn: a.multiturn}
	}
	if a.keyEnv != "" {
		cfg.APIKey = os.Getenv(a.keyEnv)
	}
	if a.tokenizer != "" {
		tok, err := model.LoadTokenizer(a.tokenizer)
		if err != nil {
			return none, fmt.Errorf("--api-tokenizer: %w", err)
		}
		cfg.Tokenizer = tok
	}
	return cfg, nil
}

// checkServedTasks runs checkAPITasks on the planned tasks when lm is a
// served model; it is nil for any other model.
func checkServedTasks(lm eval.LanguageModel, seeds []uint64, pts []planTask) error {
	alm, ok := lm.(*apilm.LM)
	if !ok || len(seeds) == 0 {
		return nil
	}
	tasks := make([]eval.Task, len(pts))
	for i, pt := range pts {
		tasks[i] = pt.task
	}
	return checkAPITasks(alm, seeds[0], tasks...)
}

// checkAPITasks refuses, before the first task starts, every task whose
// requests the server cannot answer (a loglikelihood task on a server
// without prompt log-probabilities), naming the task and the missing
// capability. It looks at the request kinds of each task's zero-shot
// instances.
func checkAPITasks(lm *apilm.LM, seed uint64, tasks ...eval.Task) error {
	var errs []string
	for _, t := range tasks {
		insts, err := t.Instances(0, seed)
		if err != nil {
			return err
		}
		var seen [3]bool // loglikelihood, rolling, generate
		for _, in := range insts {
			for _, r := range in.Requests {
				var kind int
				switch r.(type) {
				case eval.Loglikelihood, eval.MultipleChoice:
					kind = 0
				case eval.Rolling:
					kind = 1
				case eval.Generate:
					kind = 2
				default:
					panic(fmt.Sprintf("kshot: unknown request type %T", r))
				}
				if seen[kind] {
					continue
				}
				seen[kind] = true
				if err := lm.Refusal(r); err != nil {
					errs = append(errs, fmt.Sprintf("task %s: %v", t.Spec().Name, err))
				}
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}
