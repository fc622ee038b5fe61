package policy

import (
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"
	"go.yaml.in/yaml/v3"
)

// Effective is the merged policy in force, with where each value came from
// and the compiled forms engines and the guard reuse. Treat it as read-only:
// it is shared.
type Effective struct {
	Policy
	// SHA256 is the hex digest of Canonical(): which policy was in force,
	// independent of the source files' key order, comments and formatting.
	SHA256 string
	// Sources maps a dotted key ("gates.fail_on", "agent.files.read_deny[3]",
	// "models.allow.internal") to "builtin" or the file it came from. Keys
	// not listed inherit from the nearest listed parent; use Source.
	Sources map[string]string
	// Layers are the files applied over the built-in defaults, in order.
	Layers []string

	canonical []byte
	mu        sync.Mutex
	regexps   map[string]*regexp.Regexp // compiled once, on first use
}

func newEffective(p Policy, sources map[string]string, layers []string, regexps map[string]*regexp.Regexp) *Effective {
	e := &Effective{Policy: p, Sources: sources, Layers: layers, regexps: regexps}
	if e.Layers == nil {
		e.Layers = []string{}
	}
	b := appendCanonical(make([]byte, 0, 8<<10), reflect.ValueOf(p))
	e.canonical = b
	sum := sha256.Sum256(b)
	e.SHA256 = hex.EncodeToString(sum[:])
	return e
}

// Canonical is the serialization the SHA256 is computed over: JSON with
// every schema key (yaml names), object keys sorted, empty lists as [],
// durations, sizes, dates and severities in their text forms.
func (e *Effective) Canonical() []byte { return slices.Clone(e.canonical) }

// Source says where the value at key came from: "builtin", a file path, or
// "" when nothing set it.
func (e *Effective) Source(key string) string {
	for key != "" {
		if s, ok := e.Sources[key]; ok {
			return s
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			return ""
		}
		key = key[:i]
	}
	return ""
}

// Regexp returns the compiled form of a regular expression of the policy
// (rules, command args, action matches): compiled once per process, shared
// by every engine and the guard. Safe for concurrent use. nil if expr is
// not a valid expression (policy expressions always are: Load checked them).
func (e *Effective) Regexp(expr string) *regexp.Regexp {
	e.mu.Lock()
	defer e.mu.Unlock()
	if re, ok := e.regexps[expr]; ok {
		return re
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil
	}
	if e.regexps == nil {
		e.regexps = map[string]*regexp.Regexp{}
	}
	e.regexps[expr] = re
	return re
}

// MatchAny reports whether name (slash-separated) matches one of the
// globs. Policy globs are validated at load, so a match error cannot occur
// for them; a bad glob never matches.
func MatchAny(globs []string, name string) bool {
	for _, g := range globs {
		if ok, _ := doublestar.Match(g, name); ok {
			return true
		}
	}
	return false
}

// ModelAllowed reports whether model ("provider/model") may see code of
// the given classification.
func (e *Effective) ModelAllowed(c Classification, model string) bool {
	return MatchAny(e.Models.Allow[c], model)
}

// Excluded reports whether a path (slash-separated, relative to the scan
// root) is excluded from scanning by gates.exclude.
func (e *Effective) Excluded(path string) bool { return MatchAny(e.Gates.Exclude, path) }

// EngineEnabled reports whether gates.engines enables the named engine.
func (e *Effective) EngineEnabled(name string) bool { return slices.Contains(e.Gates.Engines, name) }

var textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()

// appendCanonical writes a schema value as canonical JSON: object keys
// in byte order, every key present, nil lists and maps as [] and {}.
func appendCanonical(b []byte, v reflect.Value) []byte {
	if v.Type().Implements(textMarshaler) {
		if tm, ok := v.Interface().(encoding.TextMarshaler); ok {
			t, err := tm.MarshalText()
			if err != nil {
				t = nil // an unset severity
			}
			return appendJSONString(b, string(t))
		}
	}
	switch v.Kind() {
	case reflect.Struct:
		fi := fieldsOf(v.Type())
		b = append(b, '{')
		for i, name := range fi.sorted {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, name)
			b = append(b, ':')
			b = appendCanonical(b, v.Field(fi.byName[name]))
		}
		return append(b, '}')
	case reflect.Slice:
		b = append(b, '[')
		for i := range v.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCanonical(b, v.Index(i))
		}
		return append(b, ']')
	case reflect.Map:
		keys := make([]string, 0, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			keys = append(keys, iter.Key().String())
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			kv := reflect.New(v.Type().Key()).Elem()
			kv.SetString(k)
			b = appendCanonical(b, v.MapIndex(kv))
		}
		return append(b, '}')
	case reflect.String:
		return appendJSONString(b, v.String())
	case reflect.Bool:
		return strconv.AppendBool(b, v.Bool())
	case reflect.Int, reflect.Int64:
		return strconv.AppendInt(b, v.Int(), 10)
	case reflect.Float64:
		return strconv.AppendFloat(b, v.Float(), 'g', -1, 64)
	default:
		panic(fmt.Sprintf("policy: canonical: unsupported kind %s", v.Kind()))
	}
}

func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
		case r == utf8.RuneError:
			b = append(b, `\ufffd`...)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

// AnnotatedYAML renders the effective policy as YAML in schema order, each
// value followed by a comment naming where it came from.
func (e *Effective) AnnotatedYAML() ([]byte, error) {
	n := e.node(reflect.ValueOf(e.Policy), "")
	return yaml.Marshal(n)
}

func (e *Effective) node(v reflect.Value, key string) *yaml.Node {
	scalar := func(s, tag string) *yaml.Node {
		n := &yaml.Node{Kind: yaml.ScalarNode, Value: s, Tag: tag}
		if src := e.Source(key); src != "" {
			n.LineComment = src
		}
		return n
	}
	if tm, ok := v.Interface().(encoding.TextMarshaler); ok {
		b, _ := tm.MarshalText()
		return scalar(string(b), "!!str")
	}
	switch v.Kind() {
	case reflect.Struct:
		n := &yaml.Node{Kind: yaml.MappingNode}
		fi := fieldsOf(v.Type())
		for _, name := range fi.names {
			n.Content = append(n.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Value: name},
				e.node(v.Field(fi.byName[name]), join(key, name)))
		}
		return n
	case reflect.Slice:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		if v.Len() == 0 {
			n.Style = yaml.FlowStyle
			if src := e.Source(key); src != "" {
				n.LineComment = src
			}
		}
		for i := range v.Len() {
			n.Content = append(n.Content, e.node(v.Index(i), fmt.Sprintf("%s[%d]", key, i)))
		}
		return n
	case reflect.Map:
		n := &yaml.Node{Kind: yaml.MappingNode}
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		if len(keys) == 0 {
			n.Style = yaml.FlowStyle
			if src := e.Source(key); src != "" {
				n.LineComment = src
			}
		}
		for _, k := range keys {
			kv := reflect.New(v.Type().Key()).Elem()
			kv.SetString(k)
			n.Content = append(n.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Value: k},
				e.node(v.MapIndex(kv), key+"."+k))
		}
		return n
	case reflect.String:
		return scalar(v.String(), "!!str")
	case reflect.Bool:
		return scalar(strconv.FormatBool(v.Bool()), "!!bool")
	case reflect.Int, reflect.Int64:
		return scalar(strconv.FormatInt(v.Int(), 10), "!!int")
	case reflect.Float64:
		return scalar(strconv.FormatFloat(v.Float(), 'g', -1, 64), "!!float")
	default:
		panic(fmt.Sprintf("policy: unsupported kind %s", v.Kind()))
	}
}
