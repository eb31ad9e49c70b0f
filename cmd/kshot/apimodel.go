package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

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
}

// register adds the flags to fs.
func (a *apiFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.model, "api-model", "", "with --model api:URL: the model name the server serves (GET URL/models lists them)")
	fs.Var(&a.endpoints, "endpoint", "with --model api:URL: another server of the same model; requests are spread over all (repeatable)")
	fs.StringVar(&a.keyEnv, "api-key-env", "OPENAI_API_KEY", "environment variable holding the API key (never printed)")
	fs.StringVar(&a.tokenizer, "api-tokenizer", "", "directory with the served model's tokenizer files: checks the server's tokenization, cuts long contexts and perplexity windows as the built-in decoder does")
	fs.IntVar(&a.concurrency, "api-concurrency", 4, "requests in flight per endpoint")
	fs.IntVar(&a.echoMaxTokens, "api-echo-max-tokens", 0, "max_tokens of scoring requests (1 for servers that refuse 0, e.g. recent vLLM)")
	fs.IntVar(&a.maxLength, "api-max-length", 0, "context window in tokens (0: from the server's /models, else 2048)")
	fs.IntVar(&a.retries, "api-retries", 4, "retries of a request after 429, 5xx, a timeout or a refused connection (0: none)")
	fs.DurationVar(&a.timeout, "api-timeout", 5*time.Minute, "time limit of one HTTP request")
}

// isAPIModel reports whether a --model value names a served model.
func isAPIModel(m string) bool { return strings.HasPrefix(m, "api:") }

// openAPIModel connects to the model named by spec ("api:URL") with the
// flags' settings.
func openAPIModel(spec string, a *apiFlags) (*apilm.LM, error) {
	if a.model == "" {
		return nil, usageError{fmt.Sprintf("--model %s needs --api-model NAME, the model name the server serves", spec)}
	}
	switch {
	case a.concurrency < 1:
		return nil, usageError{fmt.Sprintf("--api-concurrency %d must be at least 1", a.concurrency)}
	case a.echoMaxTokens < 0:
		return nil, usageError{fmt.Sprintf("--api-echo-max-tokens %d is negative", a.echoMaxTokens)}
	case a.maxLength < 0:
		return nil, usageError{fmt.Sprintf("--api-max-length %d is negative", a.maxLength)}
	case a.retries < 0:
		return nil, usageError{fmt.Sprintf("--api-retries %d is negative", a.retries)}
	case a.timeout <= 0:
		return nil, usageError{fmt.Sprintf("--api-timeout %v must be positive", a.timeout)}
	}
	cfg := apilm.Config{Endpoints: append([]string{strings.TrimPrefix(spec, "api:")}, a.endpoints...), Model: a.model,
		Concurrency: a.concurrency, Timeout: a.timeout, Retries: a.retries, EchoMaxTokens: a.echoMaxTokens, MaxLength: a.maxLength}
	if a.retries == 0 {
		cfg.Retries = -1
	}
	if a.keyEnv != "" {
		cfg.APIKey = os.Getenv(a.keyEnv)
	}
	if a.tokenizer != "" {
		tok, err := model.LoadTokenizer(a.tokenizer)
		if err != nil {
			return nil, fmt.Errorf("--api-tokenizer: %w", err)
		}
		cfg.Tokenizer = tok
	}
	return apilm.New(cfg)
}
