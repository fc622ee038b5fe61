package policy

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: whatever the bytes, Parse never panics, and it either returns
// a policy or errors that are all *Error.
func FuzzParse(f *testing.F) {
	f.Add(builtinYAML)
	seeds, _ := filepath.Glob("testdata/*.yaml")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"", "version: 1\n", "version: 1\ngates: {fail_on: x}\n", "- a\n", "version: 1\n---\n",
		"version: 1\nx: &a [*a]\n", "version: 1\ngates:\n  exclude: &e [a]\nagent:\n  files:\n    read_deny: *e\n",
		"version: 1\nexceptions: [{rule: r}]\n", "version: 1\nmodels:\n  allow: {public: [\"[\"]}\n",
		"version: 1\nagent: {builtin: {x: allow, x: deny}}\n", "\t", "version: !!binary aGk=\n",
		"version: 1\naudit: {retention: 99999999999999999999d}\n", "version: 1\ngates: {max_file_size: 99999999999GiB}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yaml", data)
		if err == nil {
			if p == nil {
				t.Fatal("nil policy without an error")
			}
			return
		}
		if p != nil {
			t.Fatal("policy returned with an error")
		}
		var list Errors
		if errors.As(err, &list) {
			if len(list) < 2 {
				t.Fatalf("Errors with %d entries", len(list))
			}
			for _, e := range list {
				var pe *Error
				if !errors.As(e, &pe) {
					t.Fatalf("%T in Errors: %v", e, e)
				}
			}
			return
		}
		var pe *Error
		if !errors.As(err, &pe) {
			t.Fatalf("error is %T, not *Error: %v", err, err)
		}
		if pe.File != "fuzz.yaml" {
			t.Fatalf("error names file %q", pe.File)
		}
	})
}
