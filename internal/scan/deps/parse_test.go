package deps

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestParsers parses every fixture under testdata/parse/CASE/ and compares
// the packages with CASE/want.json (regenerate with -update and review the
// diff).
func TestParsers(t *testing.T) {
	cases, err := filepath.Glob("testdata/parse/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 19 {
		t.Fatalf("found %d parser fixtures, want one per supported format", len(cases))
	}
	for _, dir := range cases {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Name() == "want.json" {
				continue
			}
			t.Run(filepath.Base(dir)+"/"+e.Name(), func(t *testing.T) {
				data, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				parse := parserFor(e.Name())
				if parse == nil {
					t.Fatalf("no parser for %s", e.Name())
				}
				got, err := parse(e.Name(), data)
				if err != nil {
					t.Fatalf("parse: %v", err)
				}
				gotJSON, _ := json.MarshalIndent(got, "", "  ")
				golden := filepath.Join(dir, "want.json")
				if *update {
					if err := os.WriteFile(golden, append(gotJSON, '\n'), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				wantJSON, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				var want File
				if err := json.Unmarshal(wantJSON, &want); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(&want, got); diff != "" {
					t.Errorf("packages differ from %s (-want +got):\n%s", golden, diff)
				}
			})
		}
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	tests := []struct {
		file, content, want string
	}{
		{"package-lock.json", "{\n  \"packages\": {\n    \"x\": 1,\n", "invalid JSON"},
		{"package-lock.json", "{\n \"packages\": {\"node_modules/a\": {\"version\": 3}}}", "line 2: packages.version has the wrong type"},
		{"go.sum", "golang.org/x/net v0.1.0 h1:x\nbroken\n", "line 2: expected 'module version h1:hash'"},
		{"gradle.lockfile", "a:b=x\n", "line 1: expected 'group:artifact:version=configurations'"},
		{"Gemfile.lock", "GEM\n  specs:\n    rails 7\n", "line 3: expected 'name (version)'"},
		{"yarn.lock", "lodash@^4\n  version \"1\"\n", "line 1: expected a package header"},
		{"requirements.txt", "requests==1\n!!!\n", "line 2: not a requirement"},
		{"pom.xml", "<project>\n<dependencies>\n<dependency></dependencies>", "line 3: invalid XML"},
		{"poetry.lock", "[[package]\nname = 1", "invalid TOML"},
		{"pnpm-lock.yaml", "packages: [1, 2\n", "invalid YAML"},
		{"go.mod", "module x\nrequire (\n  bad\n)\n", "go.mod:3"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := parserFor(tt.file)(tt.file, []byte(tt.content))
			if err == nil {
				t.Fatalf("no error for malformed %s", tt.file)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func TestWants(t *testing.T) {
	e := New(Options{})
	for p, want := range map[string]bool{
		"package-lock.json": true, "web/package.json": true, "node_modules/x/package.json": false,
		"requirements.txt": true, "requirements-dev.txt": true, "requirements/base.txt": true, "dev-requirements.txt": true,
		"notes.txt": false, "go.mod": true, "go.sum": true, "Cargo.lock": true, "Cargo.toml": false, "pom.xml": true,
		"a/b/gradle.lockfile": true, "main.go": false, "Gemfile.lock": true, "composer.lock": true, "uv.lock": true,
	} {
		if got := e.Wants(p); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
}

// fuzzParser feeds a parser arbitrary bytes, seeded with its fixtures: it
// must return packages or an error, never panic.
func fuzzParser(f *testing.F, name string) {
	seeds, _ := filepath.Glob("testdata/parse/*/" + name)
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte{})
	parse := parserFor(name)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = parse(name, data)
	})
}

func FuzzPackageLock(f *testing.F)    { fuzzParser(f, "package-lock.json") }
func FuzzPackageJSON(f *testing.F)    { fuzzParser(f, "package.json") }
func FuzzYarnLock(f *testing.F)       { fuzzParser(f, "yarn.lock") }
func FuzzPnpmLock(f *testing.F)       { fuzzParser(f, "pnpm-lock.yaml") }
func FuzzGoMod(f *testing.F)          { fuzzParser(f, "go.mod") }
func FuzzGoSum(f *testing.F)          { fuzzParser(f, "go.sum") }
func FuzzRequirements(f *testing.F)   { fuzzParser(f, "requirements.txt") }
func FuzzPoetryLock(f *testing.F)     { fuzzParser(f, "poetry.lock") }
func FuzzPipfileLock(f *testing.F)    { fuzzParser(f, "Pipfile.lock") }
func FuzzUVLock(f *testing.F)         { fuzzParser(f, "uv.lock") }
func FuzzPyproject(f *testing.F)      { fuzzParser(f, "pyproject.toml") }
func FuzzCargoLock(f *testing.F)      { fuzzParser(f, "Cargo.lock") }
func FuzzGemfileLock(f *testing.F)    { fuzzParser(f, "Gemfile.lock") }
func FuzzComposerLock(f *testing.F)   { fuzzParser(f, "composer.lock") }
func FuzzPom(f *testing.F)            { fuzzParser(f, "pom.xml") }
func FuzzGradleLockfile(f *testing.F) { fuzzParser(f, "gradle.lockfile") }
