package deps

import (
	"context"
	"errors"
	"fmt"
	"github.com/wardenhq/warden/internal/scan"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wardenhq/warden/internal/finding"
)

func TestParseInstall(t *testing.T) {
	npm := func(name, ver, c string) Package {
		return Package{Ecosystem: "npm", Name: name, Version: ver, Constraint: c, Direct: true}
	}
	py := func(name, ver, c string) Package {
		return Package{Ecosystem: "PyPI", Name: name, Version: ver, Constraint: c, Direct: true}
	}
	tests := []struct {
		argv string
		ok   bool
		want Install
	}{
		{"npm install lodash@4.17.20 @types/node -D", true, Install{Manager: "npm", Ecosystem: "npm", Packages: []Package{npm("lodash", "4.17.20", ""), npm("@types/node", "", "")}}},
		{"npm i --registry https://npm.acme.internal @acme/sdk@^2", true, Install{Manager: "npm", Ecosystem: "npm", Registry: "https://npm.acme.internal", Packages: []Package{npm("@acme/sdk", "", "^2")}}},
		{"npm install", true, Install{Manager: "npm", Ecosystem: "npm"}},
		{"npm ci", false, Install{}},
		{"npm run build", false, Install{}},
		{"npm install alias@npm:real-pkg@1.0.0", true, Install{Manager: "npm", Ecosystem: "npm", Packages: []Package{npm("real-pkg", "1.0.0", "")}}},
		{"pnpm add -w left-pad", true, Install{Manager: "pnpm", Ecosystem: "npm", Packages: []Package{npm("left-pad", "", "")}}},
		{"yarn add react@latest", true, Install{Manager: "yarn", Ecosystem: "npm", Packages: []Package{npm("react", "", "latest")}}},
		{"yarn add user/repo#main", true, Install{Manager: "yarn", Ecosystem: "npm", Packages: []Package{{Ecosystem: "npm", Name: "repo", Source: "git", Ref: "main", Resolved: "github:user/repo#main", Direct: true}}}},
		{"pip install requests==2.25.0 'django>=4' -i https://pypi.acme.internal/simple", true, Install{Manager: "pip", Ecosystem: "PyPI", Registry: "https://pypi.acme.internal/simple", Packages: []Package{py("requests", "2.25.0", ""), py("django", "", ">=4")}}},
		{"pip3 install --extra-index-url https://x/simple -r requirements.txt", true, Install{Manager: "pip", Ecosystem: "PyPI", ExtraIndexes: []string{"https://x/simple"}, Files: []string{"requirements.txt"}}},
		{"python3 -m pip install --user numpy[extra]==1.26.0", true, Install{Manager: "pip", Ecosystem: "PyPI", Packages: []Package{py("numpy", "1.26.0", "")}}},
		{"pip install git+https://github.com/acme/tool.git@v1#egg=tool", true, Install{Manager: "pip", Ecosystem: "PyPI", Packages: []Package{{Ecosystem: "PyPI", Name: "tool", Source: "git", Ref: "v1", Resolved: "git+https://github.com/acme/tool.git@v1#egg=tool", Direct: true}}}},
		{"uv pip install flask", true, Install{Manager: "uv", Ecosystem: "PyPI", Packages: []Package{py("flask", "", "")}}},
		{"uv add --dev pytest>=7", true, Install{Manager: "uv", Ecosystem: "PyPI", Packages: []Package{py("pytest", "", ">=7")}}},
		{"uv run pytest", false, Install{}},
		{"poetry add requests@^2.31", true, Install{Manager: "poetry", Ecosystem: "PyPI", Packages: []Package{py("requests", "", "^2.31")}}},
		{"go get golang.org/x/net@v0.17.0 ./...", true, Install{Manager: "go", Ecosystem: "Go", Packages: []Package{{Ecosystem: "Go", Name: "golang.org/x/net", Version: "v0.17.0", Direct: true}}}},
		{"go install golang.org/x/tools/cmd/stringer@latest", true, Install{Manager: "go", Ecosystem: "Go", Packages: []Package{{Ecosystem: "Go", Name: "golang.org/x/tools/cmd/stringer", Direct: true}}}},
		{"go build ./...", false, Install{}},
		{"cargo add serde@=1.0.190 tokio", true, Install{Manager: "cargo", Ecosystem: "crates.io", Packages: []Package{{Ecosystem: "crates.io", Name: "serde", Version: "1.0.190", Direct: true}, {Ecosystem: "crates.io", Name: "tokio", Direct: true}}}},
		{"cargo install ripgrep --version 14.1.0", true, Install{Manager: "cargo", Ecosystem: "crates.io", Packages: []Package{{Ecosystem: "crates.io", Name: "ripgrep", Version: "14.1.0", Direct: true}}}},
		{"gem install rails -v 7.0.4", true, Install{Manager: "gem", Ecosystem: "RubyGems", Packages: []Package{{Ecosystem: "RubyGems", Name: "rails", Version: "7.0.4", Direct: true}}}},
		{"composer require guzzlehttp/guzzle:7.4.4 php", true, Install{Manager: "composer", Ecosystem: "Packagist", Packages: []Package{{Ecosystem: "Packagist", Name: "guzzlehttp/guzzle", Version: "7.4.4", Direct: true}}}},
		{"/usr/bin/npm add evil-pkg", true, Install{Manager: "npm", Ecosystem: "npm", Packages: []Package{npm("evil-pkg", "", "")}}},
		{"ls -la", false, Install{}},
	}
	for _, tt := range tests {
		t.Run(tt.argv, func(t *testing.T) {
			argv := strings.Fields(strings.ReplaceAll(tt.argv, "'", ""))
			got, ok := ParseInstall(argv)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseInstall(f *testing.F) {
	f.Add("npm install lodash@4 --registry")
	f.Add("pip install -e")
	f.Add("go get @")
	f.Add("uv pip")
	f.Fuzz(func(t *testing.T, s string) {
		ParseInstall(strings.Fields(s))
	})
}

type fakeRegistry map[string]RegistryInfo

func (r fakeRegistry) Lookup(_ context.Context, eco, name string) (RegistryInfo, error) {
	if name == "registry-down" {
		return RegistryInfo{}, errors.New("connection refused")
	}
	return r[eco+"/"+name], nil
}

func TestCheckInstall(t *testing.T) {
	reg := fakeRegistry{
		"npm/lodash":    {Exists: true, Created: testNow.AddDate(-10, 0, 0)},
		"npm/fresh-pkg": {Exists: true, Created: testNow.Add(-72 * time.Hour), InstallScripts: true},
	}
	tests := []struct {
		argv   string
		online bool
		want   []string // rule ids
		inMsg  string
	}{
		{"npm install lodash@4.17.20", false, []string{RuleVulnerable}, "Upgrade to 4.17.21"},
		{"npm install lodash@4.17.21", false, nil, ""},
		{"npm install evil-pkg", false, []string{RuleMalicious}, "malicious"},
		{"npm install expresss", false, []string{RuleTyposquat}, `"express"`},
		{"pip install reqeusts", false, []string{RuleTyposquat}, `"requests"`},
		{"pip install internal-tool", false, []string{RuleConfusion}, "default public registry"},
		{"pip install internal-tool -i https://pypi.acme.internal/simple", false, nil, ""},
		{"npm install @acme/secret-sdk", false, []string{RuleConfusion}, ".npmrc"},
		{"npm install github:acme/x#main", false, []string{RuleUnpinned}, "commit"},
		{"go install golang.org/x/net/http2/h2demo@v0.17.0", false, []string{RuleVulnerable}, "GO-test-0001"},
		{"npm install lodash@4.17.21 totally-made-up-pkg-xyz", true, []string{RuleNotFound}, "does not exist"},
		{"npm install fresh-pkg", true, []string{RuleNewPackage}, "runs scripts on install"},
	}
	for _, tt := range tests {
		t.Run(tt.argv, func(t *testing.T) {
			opt := Options{}
			if tt.online {
				opt.Registry = reg
			}
			e := testEngine(t, opt)
			in, ok := ParseInstall(strings.Fields(tt.argv))
			if !ok {
				t.Fatal("not an install")
			}
			fs, err := e.CheckInstall(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			var rules []string
			for _, f := range fs {
				rules = append(rules, f.RuleID)
				if tt.inMsg != "" && !strings.Contains(f.Message, tt.inMsg) {
					t.Errorf("message %q does not mention %q", f.Message, tt.inMsg)
				}
			}
			if diff := cmp.Diff(tt.want, rules, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
		})
	}
	// A registry failure is an error (the guard denies), not a pass.
	e := testEngine(t, Options{Registry: reg})
	if _, err := e.CheckInstall(context.Background(), Install{Ecosystem: "npm", Packages: []Package{{Ecosystem: "npm", Name: "registry-down"}}}); err == nil {
		t.Error("registry failure: no error")
	}
	// No database: the install is still checked, and the notice says so.
	e = testEngine(t, Options{DBError: errors.New("no vulnerability database in /x")})
	fs, err := e.CheckInstall(context.Background(), Install{Ecosystem: "npm", Packages: []Package{{Ecosystem: "npm", Name: "lodash", Version: "4.17.20"}}})
	if err != nil || len(fs) != 1 || fs[0].RuleID != RuleNoDatabase || fs[0].Severity != finding.SeverityInfo {
		t.Errorf("no database: %v %v", fs, err)
	}
}

// TestScanOnline: with a registry, declared dependencies are checked for
// existence and age; transitive lockfile entries are not (their names are
// chosen by other maintainers), and a registry failure fails the scan.
func TestScanOnline(t *testing.T) {
	reg := fakeRegistry{
		"npm/lodash":    {Exists: true, Created: testNow.AddDate(-10, 0, 0)},
		"npm/brand-new": {Exists: true, Created: testNow.Add(-48 * time.Hour)},
	}
	e := testEngine(t, Options{Registry: reg})
	fs := scanFiles(t, e, map[string][]byte{
		"package.json":      []byte(`{"dependencies": {"lodash": "4.17.21", "brand-new": "1.0.0", "made-up-helper-pkg": "1.0.0"}}`),
		"package-lock.json": []byte(`{"lockfileVersion": 3, "packages": {"": {"dependencies": {"lodash": "4.17.21"}}, "node_modules/lodash": {"version": "4.17.21"}, "node_modules/transitive-unknown": {"version": "1.0.0"}}}`),
	})
	var got []string
	for _, f := range fs {
		got = append(got, fmt.Sprintf("%s:%d %s %s", f.Path, f.StartLine, f.RuleID, f.Metadata["package"]))
	}
	want := []string{
		"package.json:1 deps/new-package brand-new",
		"package.json:1 deps/not-found made-up-helper-pkg",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	e = testEngine(t, Options{Registry: reg})
	err := e.Scan(context.Background(), scan.File{Path: "package.json", Content: []byte(`{"dependencies": {"registry-down": "1.0.0"}}`)}, func(finding.Finding) {})
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("registry failure during a scan: err = %v", err)
	}
}

// datingRegistry is a fakeRegistry that also dates versions.
type datingRegistry struct {
	fakeRegistry
	times map[string]time.Time // eco/name@version
	mu    sync.Mutex
	calls map[string]int
}

func (r *datingRegistry) VersionTime(_ context.Context, eco, name, version string) (time.Time, bool, error) {
	k := eco + "/" + name + "@" + version
	r.mu.Lock()
	r.calls[k]++
	r.mu.Unlock()
	if name == "minimist" {
		return time.Time{}, false, errors.New("connection reset")
	}
	t, ok := r.times[k]
	return t, ok, nil
}

// TestFixDatedOnline: online, "days since the fix was published" counts
// from the registry's release of the fixed version, once per version;
// offline, or when the registry does not know the version or fails, from
// the advisory, and the metadata says which.
func TestFixDatedOnline(t *testing.T) {
	released := time.Date(2021, 2, 20, 8, 0, 0, 0, time.UTC)
	reg := &datingRegistry{
		fakeRegistry: fakeRegistry{"npm/lodash": {Exists: true, Created: testNow.AddDate(-10, 0, 0)}, "npm/minimist": {Exists: true, Created: testNow.AddDate(-10, 0, 0)}},
		times:        map[string]time.Time{"npm/lodash@4.17.21": released},
		calls:        map[string]int{},
	}
	lock := []byte(`{"lockfileVersion": 3, "packages": {"": {"dependencies": {"lodash": "*", "minimist": "*", "ms": "*"}},
		"node_modules/lodash": {"version": "4.17.15"}, "node_modules/minimist": {"version": "0.0.8"}, "node_modules/ms": {"version": "2.1.2"}}}`)
	files := map[string][]byte{"a/package-lock.json": lock, "b/package-lock.json": lock}
	type fix struct{ Pkg, Published, Source, Days string }
	run := func(opt Options) []fix {
		var out []fix
		for _, f := range scanFiles(t, testEngine(t, opt), files) {
			if f.RuleID == RuleVulnerable && f.Path == "a/package-lock.json" {
				m := f.Metadata
				out = append(out, fix{m["package"], m["fix_published"], m["fix_published_source"], m["fix_available_days"]})
			}
		}
		slices.SortFunc(out, func(a, b fix) int { return strings.Compare(a.Pkg, b.Pkg) })
		return out
	}
	days := fmt.Sprint(int(testNow.Sub(released).Hours() / 24))
	want := []fix{
		{"lodash", "2021-02-20", "registry", days},
		{"minimist", "2024-01-10", "advisory", "1030"}, // the registry failed
		{"ms", "", "", ""},                             // no fix known
	}
	if diff := cmp.Diff(want, run(Options{Registry: reg})); diff != "" {
		t.Errorf("online (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"npm/lodash@4.17.21": 1, "npm/minimist@0.2.4": 1}, reg.calls); diff != "" {
		t.Errorf("registry calls, two lockfiles (-want +got):\n%s", diff)
	}
	want[0] = fix{"lodash", "2024-01-10", "advisory", "1030"}
	if diff := cmp.Diff(want, run(Options{})); diff != "" {
		t.Errorf("offline (-want +got):\n%s", diff)
	}
}
