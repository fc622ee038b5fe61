package policy

import (
	"reflect"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// How a list written by a higher layer combines with the lower layers'.
// Scalars always override; maps merge key by key (each key's value
// overrides). Lists follow what they mean for security:
type listMode int

const (
	// replace: lists that permit (allow lists, excludes, engine and target
	// selections). The higher layer's list replaces the lower one's, so a
	// repository can narrow them.
	replace listMode = iota
	// union: lists that forbid (deny lists, protected branches, attestation
	// requirements). A higher layer adds; nothing is ever removed, so a
	// repository file cannot drop a built-in protection by accident.
	union
	// byID: rule lists. A rule with a new id is appended; a rule with the id
	// of a lower layer's rule replaces it in place.
	byID
)

var listModes = map[string]listMode{
	"agent.files.read_deny":             union,
	"agent.files.write_deny":            union,
	"agent.commands.protected_branches": union,
	"agent.mcp.deny_tools":              union,
	"models.require_attestation":        union,
	"dependencies.internal_scopes":      union,
	"dependencies.internal_names":       union,
	"exceptions":                        union,
	"agent.commands.rules":              byID,
	"rules.patterns":                    byID,
	"rules.secrets":                     byID,
	"rules.actions":                     byID,
}

// ListMode names the merge rule of a list key ("replace", "union", "by id");
// docs/POLICY.md shows it for each list.
func ListMode(key string) string {
	switch listModes[key] {
	case union:
		return "union"
	case byID:
		return "by id"
	default:
		return "replace"
	}
}

// merger layers parsed files onto one Policy and records where each value
// came from.
type merger struct {
	sources map[string]string
}

func (m *merger) apply(dst *Policy, f *parsedFile, layer string) {
	m.walk(reflect.ValueOf(dst).Elem(), reflect.ValueOf(f.policy).Elem(), schemaTree(), f.present, layer)
}

func (m *merger) walk(dst, src reflect.Value, node *schemaNode, present map[string]*yaml.Node, layer string) {
	for _, c := range node.children {
		if _, ok := present[c.key]; !ok {
			continue
		}
		d, s := dst.Field(c.index), src.Field(c.index)
		switch {
		case c.children != nil:
			m.walk(d, s, c, present, layer)
		case d.Kind() == reflect.Slice:
			m.list(d, s, c.key, c.key, layer)
		case d.Kind() == reflect.Map:
			m.mapping(d, s, c.key, layer)
		default:
			d.Set(s)
			m.sources[c.key] = layer
		}
	}
}

func (m *merger) list(d, s reflect.Value, key, norm, layer string) {
	m.sources[key] = layer
	switch listModes[norm] {
	case union:
		if d.Type().Elem().Kind() == reflect.String {
			have := make(map[string]bool, d.Len()+s.Len())
			for i := range d.Len() {
				have[d.Index(i).String()] = true
			}
			for i := range s.Len() {
				if v := s.Index(i).String(); !have[v] {
					have[v] = true
					d.Set(reflect.Append(d, s.Index(i)))
					m.sources[elemKey(key, d.Len()-1)] = layer
				}
			}
			return
		}
		for i := range s.Len() {
			if indexOf(d, s.Index(i)) < 0 {
				d.Set(reflect.Append(d, s.Index(i)))
				m.sources[elemKey(key, d.Len()-1)] = layer
			}
		}
	case byID:
		for i := range s.Len() {
			el := s.Index(i)
			if j := indexOfID(d, el.FieldByName("ID").String()); j >= 0 {
				d.Index(j).Set(el)
				m.sources[elemKey(key, j)] = layer
				continue
			}
			d.Set(reflect.Append(d, el))
			m.sources[elemKey(key, d.Len()-1)] = layer
		}
	default:
		for i := range d.Len() {
			delete(m.sources, elemKey(key, i))
		}
		// A fresh array: later layers append to it, and must not write
		// through to this layer's parsed values.
		c := reflect.MakeSlice(s.Type(), s.Len(), s.Len())
		reflect.Copy(c, s)
		d.Set(c)
		for i := range c.Len() {
			m.sources[elemKey(key, i)] = layer
		}
	}
}

func (m *merger) mapping(d, s reflect.Value, key, layer string) {
	m.sources[key] = layer
	if s.Len() == 0 {
		return
	}
	if d.IsNil() {
		d.Set(reflect.MakeMapWithSize(d.Type(), s.Len()))
	}
	iter := s.MapRange()
	for iter.Next() {
		d.SetMapIndex(iter.Key(), iter.Value())
		m.sources[key+"."+iter.Key().String()] = layer
	}
}

func elemKey(key string, i int) string { return key + "[" + strconv.Itoa(i) + "]" }

func indexOf(list, v reflect.Value) int {
	for i := range list.Len() {
		if reflect.DeepEqual(list.Index(i).Interface(), v.Interface()) {
			return i
		}
	}
	return -1
}

func indexOfID(list reflect.Value, id string) int {
	for i := range list.Len() {
		if list.Index(i).FieldByName("ID").String() == id {
			return i
		}
	}
	return -1
}
