package tasks

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kshot-eval/kshot/eval"
)

// Noter is implemented by tasks that have something to say about the
// data they read, such as which of two local files of the same data set
// they chose; kshot run prints the notes before evaluating.
type Noter interface {
	Notes() []string
}

// Notes returns t's notes, nil when it has none.
func Notes(t eval.Task) []string {
	if n, ok := t.(Noter); ok {
		return n.Notes()
	}
	return nil
}

// notes is embedded by tasks that record notes.
type notes struct{ list []string }

// Notes implements Noter.
func (n *notes) Notes() []string { return n.list }

// addNote records note, unless it is "".
func (n *notes) addNote(note string) {
	if note != "" {
		n.list = append(n.list, note)
	}
}

// dataForm is one local file form of a task's data set: its path inside
// the data directory and what it is, for the run's note.
type dataForm struct {
	rel  string
	form string // "SuperGLUE's original rows", "the llm-foundry ICL form", …
}

// preferredDataFile resolves a task's file when the data directory may
// hold several forms of the same data set, forms[0] the preferred one
// (the original): opts.DataPath when set, else the first form present in
// the data directory, else what dataFile says for forms[0] (the Hub, or
// an error naming every form). When more than one form is present, the
// note says which file was read and how to read another.
func preferredDataFile(task string, o Options, what string, forms ...dataForm) (path, note string, err error) {
	dir := o.DataDir
	if dir == "" {
		dir = os.Getenv("KSHOT_DATA")
	}
	if o.DataPath != "" || dir == "" {
		path, err = dataFile(task, o, forms[0].rel, what)
		return path, "", err
	}
	var present []dataForm
	for _, f := range forms {
		if _, err := os.Stat(filepath.Join(dir, f.rel)); err == nil {
			present = append(present, f)
		}
	}
	if len(present) == 0 {
		rels := make([]string, len(forms))
		for i, f := range forms {
			rels[i] = f.rel
		}
		return "", "", &MissingDataError{Task: task, What: what, Files: rels, Dir: dir,
			msg: fmt.Sprintf("task %s: %s not found in data directory %s (expected %s); pass --data %s=PATH", task, what, dir, strings.Join(rels, " or "), task)}
	}
	p := filepath.Join(dir, present[0].rel)
	if err := CheckDataFile(p); err != nil {
		return "", "", fmt.Errorf("task %s: %w", task, err)
	}
	if len(present) > 1 {
		var others []string
		for _, f := range present[1:] {
			others = append(others, fmt.Sprintf("%s (%s)", f.rel, f.form))
		}
		note = fmt.Sprintf("read %s (%s); also present: %s — pass --data %s=PATH to read another", p, present[0].form, strings.Join(others, ", "), task)
	}
	return p, note, nil
}
