package policy

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const policyDoc = "../../docs/POLICY.md"

var (
	docKeyRE     = regexp.MustCompile("(?m)^### `([^`]+)`\\s*$")
	docDefaultRE = regexp.MustCompile("Default\\s+`([^`]*)`")
	docYAMLRE    = regexp.MustCompile("(?s)```yaml\\n(.*?)```")
)

// docSections maps each documented key to the text under its heading.
func docSections(t *testing.T) (map[string]string, []string) {
	t.Helper()
	b, err := os.ReadFile(policyDoc)
	if err != nil {
		t.Fatalf("docs/POLICY.md: %v", err)
	}
	doc := string(b)
	idx := docKeyRE.FindAllStringSubmatchIndex(doc, -1)
	sections := map[string]string{}
	var order []string
	for i, m := range idx {
		end := len(doc)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		key := doc[m[2]:m[3]]
		if _, dup := sections[key]; dup {
			t.Errorf("docs/POLICY.md documents %s twice", key)
		}
		sections[key] = doc[m[1]:end]
		order = append(order, key)
	}
	return sections, order
}

// TestDocsCoverSchema: docs/POLICY.md has a "### `key`" section for exactly
// the schema's keys (walked by reflection over the yaml tags).
func TestDocsCoverSchema(t *testing.T) {
	sections, order := docSections(t)
	keys := Keys()
	for _, k := range keys {
		if _, ok := sections[k]; !ok {
			t.Errorf("schema key %s is not documented in docs/POLICY.md (add a \"### `%s`\" section)", k, k)
		}
	}
	for _, k := range order {
		if !slices.Contains(keys, k) {
			t.Errorf("docs/POLICY.md documents %s, which is not a schema key", k)
		}
	}
}

// TestDocsDefaults: where a key's section says "Default `X`", X is what
// the built-in policy holds.
func TestDocsDefaults(t *testing.T) {
	sections, _ := docSections(t)
	builtin := Builtin()
	checked := 0
	for key, text := range sections {
		m := docDefaultRE.FindStringSubmatch(text)
		if m == nil || strings.Contains(key, "[]") {
			continue
		}
		src := "version: 1\n" + nest(key, m[1])
		p, err := Parse("doc", []byte(src))
		if err != nil {
			t.Errorf("%s: documented default %q does not parse: %v", key, m[1], err)
			continue
		}
		want := valueAt(reflect.ValueOf(builtin.Policy), key)
		got := valueAt(reflect.ValueOf(*p), key)
		if diff := cmp.Diff(want.Interface(), got.Interface(), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: docs say default %s, built-in policy differs (-builtin +doc):\n%s", key, m[1], diff)
		}
		checked++
	}
	if checked < 30 {
		t.Errorf("only %d documented defaults checked; the doc format changed?", checked)
	}
}

// TestDocsExamplesParse: every YAML example in docs/POLICY.md is a valid
// policy (with "version: 1" added where the example is a fragment).
func TestDocsExamplesParse(t *testing.T) {
	b, err := os.ReadFile(policyDoc)
	if err != nil {
		t.Fatal(err)
	}
	examples := docYAMLRE.FindAllStringSubmatch(string(b), -1)
	if len(examples) < 20 {
		t.Fatalf("found %d YAML examples, want at least 20", len(examples))
	}
	for _, ex := range examples {
		src := ex[1]
		if !regexp.MustCompile(`(?m)^version:`).MatchString(src) {
			src = "version: 1\n" + src
		}
		if _, err := Parse("example", []byte(src)); err != nil {
			t.Errorf("example does not parse: %v\n%s", err, ex[1])
		}
	}
}

// nest writes value under a dotted key as block YAML.
func nest(key, value string) string {
	parts := strings.Split(key, ".")
	var b strings.Builder
	for i, p := range parts {
		b.WriteString(strings.Repeat("  ", i) + p + ":")
		if i == len(parts)-1 {
			b.WriteString(" " + value)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func valueAt(v reflect.Value, key string) reflect.Value {
	for _, name := range strings.Split(key, ".") {
		v = v.Field(fieldsOf(v.Type()).byName[name])
	}
	return v
}

func TestBuiltinYAMLIsValidAndComplete(t *testing.T) {
	f, err := parseFile(BuiltinSource, builtinYAML, nil)
	if err != nil {
		t.Fatalf("builtin.yaml: %v", err)
	}
	// The built-in file is also the example of every section: each key
	// outside list elements appears in it.
	for _, k := range Keys() {
		if strings.Contains(k, "[]") || k == "locks" {
			continue
		}
		if _, ok := f.present[k]; !ok {
			t.Errorf("builtin.yaml does not set %s", k)
		}
	}
}
