package suite

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/kshot-eval/kshot/internal/suggest"
	"go.yaml.in/yaml/v3"
)

// checkShape walks a suite file's YAML against the Suite type before it is
// decoded, so that a mistake reads in the user's words — the file,
// line:column, the key, what was expected and the fix — instead of the
// YAML decoder's Go types. Every mistake is returned at once.
func checkShape(path string, doc *yaml.Node) Problems {
	var ps Problems
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	checkNode(&ps, path, "", doc, reflect.TypeOf(Suite{}))
	return ps
}

// at is "file:line:col" of n.
func at(path string, n *yaml.Node) string { return fmt.Sprintf("%s:%d:%d", path, n.Line, n.Column) }

// keyPath joins a parent key and a child key ("tasks[2]" + "limit").
func keyPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// yamlFields maps the yaml keys of struct type t to their field types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != "" && name != "-" {
			out[name] = f.Type
		}
	}
	return out
}

// describe names what a YAML node holds, for "got ..." in messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a map of keys"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	v := n.Value
	if len([]rune(v)) > 40 {
		v = string([]rune(v)[:37]) + "..."
	}
	switch n.Tag {
	case "!!int", "!!float":
		return "the number " + v
	case "!!bool":
		return "the boolean " + v
	case "!!null":
		return "nothing"
	}
	return fmt.Sprintf("the text %q", v)
}

func checkNode(ps *Problems, path, key string, n *yaml.Node, t reflect.Type) {
	add := func(format string, args ...any) {
		where := at(path, n)
		if key != "" {
			where += ": " + key
		}
		*ps = append(*ps, Problem{where, fmt.Sprintf(format, args...)})
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value leaves the default
	}
	if t == reflect.TypeOf(Decoding{}) {
		return // a decoding rule reads both its forms and checks its own keys (Rule)
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == reflect.TypeOf(Task{}) && n.Kind == yaml.ScalarNode {
			return // a task written as its bare name
		}
		if n.Kind != yaml.MappingNode {
			add("want keys (key: value, one a line or {key: value, ...}), got %s", describe(n))
			return
		}
		fields := yamlFields(t)
		names := make([]string, 0, len(fields))
		for name := range fields {
			names = append(names, name)
		}
		sort.Strings(names)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				where := at(path, k)
				if key != "" {
					where += ": " + key
				}
				hint := "the keys are " + strings.Join(names, ", ")
				if s := suggest.Closest(k.Value, names); s != "" {
					hint = fmt.Sprintf("did you mean %q?", s)
				}
				*ps = append(*ps, Problem{where, fmt.Sprintf("unknown key %q (%s)", k.Value, hint)})
				continue
			}
			checkNode(ps, path, keyPath(key, k.Value), v, ft)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			example := "[a, b]"
			switch {
			case t.Elem().Kind() == reflect.Int || t.Elem().Kind() == reflect.Uint64:
				example = "[0, 1]"
				if n.Tag == "!!int" {
					example = "[" + n.Value + "]"
				}
			case n.Kind == yaml.ScalarNode:
				example = "[" + n.Value + "]"
			}
			add("want a list, got %s; write %s: %s, or one \"- item\" a line", describe(n), lastKey(key), example)
			return
		}
		for i, item := range n.Content {
			checkNode(ps, path, fmt.Sprintf("%s[%d]", key, i), item, t.Elem())
		}
	case reflect.Int, reflect.Int64, reflect.Uint64:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			add("want a whole number, got %s", describe(n))
			return
		}
		if t.Kind() == reflect.Uint64 && strings.HasPrefix(n.Value, "-") {
			add("want a whole number of 0 or more, got %s", describe(n))
		}
	case reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
			add("want a number, got %s", describe(n))
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			add("want a single value, got %s", describe(n))
		}
	}
}

// lastKey is the last key of a key path ("tasks[1].shots" → "shots").
func lastKey(key string) string {
	if i := strings.LastIndex(key, "."); i >= 0 {
		key = key[i+1:]
	}
	if i := strings.Index(key, "["); i >= 0 {
		key = key[:i]
	}
	return key
}
