package tasks

import (
	"fmt"

	"github.com/kshot-eval/kshot/eval"
)

// Drop counts the items (documents, or parts of documents such as answer
// aliases) that a task left out while reading its data, and why, so that
// a partial drop is never silent. A task whose documents are all dropped
// is not built: New returns an error saying how many and why.
type Drop struct {
	Count int    // items left out
	Of    int    // items read, the dropped ones included
	What  string // the items, plural: "pages", "answers"
	Why   string // the rule that dropped them
}

func (d Drop) String() string {
	return fmt.Sprintf("dropped %d of %d %s: %s", d.Count, d.Of, d.What, d.Why)
}

// Dropper is implemented by tasks that may leave items of their data out.
type Dropper interface {
	Dropped() []Drop
}

// Dropped returns what t left out of its data, nil when nothing (or when
// t never drops anything).
func Dropped(t eval.Task) []Drop {
	if d, ok := t.(Dropper); ok {
		return d.Dropped()
	}
	return nil
}

// drops is embedded by tasks that record drops.
type drops struct{ list []Drop }

// Dropped implements Dropper.
func (d *drops) Dropped() []Drop { return d.list }

// add records n of total items dropped, when n > 0.
func (d *drops) add(n, total int, what, why string) {
	if n > 0 {
		d.list = append(d.list, Drop{Count: n, Of: total, What: what, Why: why})
	}
}
