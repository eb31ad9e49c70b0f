package deps

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/kshot-eval/kshot"

// allowed lists, per package, the import path prefixes it may use besides
// the standard library. "cmd/kshot" may import anything.
var allowed = map[string][]string{
	"eval":                     {"gonum.org/v1/gonum", module + "/eval/sacrebleu", module + "/eval/textscore", module + "/internal/suggest"},
	"eval/sacrebleu":           {},
	"eval/textscore":           {},
	"eval/results":             {module + "/eval"},
	"eval/results/resultstest": {module + "/eval"},
	"eval/cache":               {module + "/eval", "modernc.org/sqlite"},
	"datasets":                 {"github.com/parquet-go/parquet-go", module + "/internal/suggest"}, // not datasets/hub: readers do no network
	"datasets/synth":           {},
	"datasets/hub":             {module + "/internal/suggest"},
	"tasks":                    {module + "/eval", module + "/datasets", module + "/internal/suggest"},
	"tasks/suite":              {module + "/eval", module + "/tasks", module + "/internal/suggest", "go.yaml.in/yaml/v3"},
	"model":                    {module + "/eval", module + "/internal/kernels", module + "/internal/suggest", "golang.org/x/sys", "golang.org/x/text"},
	"model/apilm":              {module + "/eval"},
	"model/serve":              {module + "/eval", module + "/model"},
	"model/train":              {module + "/eval", module + "/internal/kernels", module + "/model", module + "/datasets/synth"},
	"model/ladder":             {},
	"reports":                  {module + "/eval", module + "/eval/results", "github.com/olekukonko/tablewriter", "gonum.org/v1/plot", "gonum.org/v1/gonum"},
	"internal/kernels":         {"golang.org/x/sys"},
	"internal/sharedtest":      {},
	"internal/suggest":         {},
	"internal/deps":            {},
	"internal/apiparity":       {module + "/eval", module + "/model", module + "/tasks", module + "/model/apilm", module + "/model/serve"},
}

func isStdlib(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

func TestDependencyDirection(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(filepath.Dir(file)))
	seen := 0
	err := filepath.WalkDir(root, func(path string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && (strings.HasPrefix(e.Name(), ".") || e.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if e.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "cmd/") {
			return nil
		}
		// tests may import test helpers of the module
		isTest := strings.HasSuffix(path, "_test.go")
		allow, ok := allowed[rel]
		if !ok {
			t.Errorf("package %s has no dependency rule: add it to allowed in %s", rel, file)
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		seen++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			// Tests may use the shared-data locator and write Parquet
			// fixtures with parquet-go.
			if isStdlib(p) || (isTest && (p == module+"/internal/sharedtest" || strings.HasPrefix(p, "github.com/parquet-go/parquet-go"))) {
				continue
			}
			okImport := false
			for _, a := range allow {
				if p == a || strings.HasPrefix(p, a+"/") {
					okImport = true
				}
			}
			if !okImport {
				t.Errorf("%s imports %s, which package %s may not use", strings.TrimPrefix(path, root+"/"), p, rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 10 {
		t.Fatalf("checked only %d files: wrong root %s?", seen, root)
	}
}
