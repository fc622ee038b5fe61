package policy

import (
	"reflect"
	"slices"
	"strings"
	"sync"
)

// Keys lists every key of the schema as a dotted path, in schema order.
// Keys inside list elements are written with "[]" ("agent.commands.rules[].id");
// a map is one key ("models.allow"). docs/POLICY.md documents exactly these.
func Keys() []string {
	var out []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		fi := fieldsOf(t)
		for _, name := range fi.names {
			ft := t.Field(fi.byName[name]).Type
			key := join(prefix, name)
			out = append(out, key)
			switch {
			case ft.Kind() == reflect.Struct && !isLeafStruct(ft):
				walk(ft, key)
			case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
				walk(ft.Elem(), key+"[]")
			}
		}
	}
	walk(reflect.TypeFor[Policy](), "")
	return out
}

// isLeafStruct: structs that are values (Date), not sections.
func isLeafStruct(t reflect.Type) bool { return t == typeDate }

var lockableOnce = sync.OnceValues(func() (map[string]bool, []string) {
	set := map[string]bool{}
	var list []string
	for _, k := range Keys() {
		if strings.Contains(k, "[]") || k == "version" || k == "locks" {
			continue
		}
		set[k] = true
		list = append(list, k)
	}
	slices.Sort(list)
	return set, list
})

// lockable is the set of keys an organization may lock: every section and
// key outside list elements.
func lockable() map[string]bool { s, _ := lockableOnce(); return s }
func lockableList() []string    { _, l := lockableOnce(); return l }

// schemaNode is a key of the schema outside list elements, with its dotted
// key computed once: the merge and lock walks run on every load and must
// not build strings for keys a file does not write.
type schemaNode struct {
	key      string
	index    int           // field index in the parent struct
	children []*schemaNode // set for sections (nested structs)
}

var schemaTree = sync.OnceValue(func() *schemaNode {
	var build func(t reflect.Type, prefix string) []*schemaNode
	build = func(t reflect.Type, prefix string) []*schemaNode {
		fi := fieldsOf(t)
		out := make([]*schemaNode, 0, len(fi.names))
		for _, name := range fi.names {
			n := &schemaNode{key: join(prefix, name), index: fi.byName[name]}
			if ft := t.Field(n.index).Type; ft.Kind() == reflect.Struct && !isLeafStruct(ft) {
				n.children = build(ft, n.key)
			}
			out = append(out, n)
		}
		return out
	}
	return &schemaNode{children: build(reflect.TypeFor[Policy](), "")}
})
