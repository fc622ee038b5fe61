package deps

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/scan"
	"github.com/wardenhq/warden/internal/vulndb"
)

var testNow = time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)

func testDB(t testing.TB, built time.Time) *vulndb.DB {
	t.Helper()
	dir := t.TempDir()
	if _, err := vulndb.Import(context.Background(), dir, "testdata/osv", built); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func testEngine(t testing.TB, opt Options) *Engine {
	if opt.DB == nil && opt.DBError == nil {
		opt.DB = testDB(t, testNow.Add(-24*time.Hour))
	}
	opt.Now = func() time.Time { return testNow }
	opt.Typosquat = true
	if opt.InternalPatterns == nil {
		opt.InternalPatterns = []string{"@acme/*", "internal-tool"}
	}
	return New(opt)
}

// scanFiles runs the engine over files the way the pipeline does: Wants,
// Scan for each, then Finish; findings sorted.
func scanFiles(t testing.TB, e *Engine, files map[string][]byte) []finding.Finding {
	var out []finding.Finding
	report := func(f finding.Finding) { out = append(out, f) }
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !e.Wants(n) {
			continue
		}
		if err := e.Scan(context.Background(), scan.File{Path: n, Content: files[n]}, report); err != nil {
			t.Fatalf("Scan(%s): %v", n, err)
		}
	}
	if err := e.Finish(context.Background(), report); err != nil {
		t.Fatal(err)
	}
	sort.SliceStable(out, func(i, j int) bool { return finding.Less(out[i], out[j]) })
	return out
}

func fixtureFiles(t testing.TB) map[string][]byte {
	files := map[string][]byte{}
	paths, _ := filepath.Glob("testdata/parse/*/*")
	for _, p := range paths {
		if filepath.Base(p) == "want.json" {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[strings.TrimPrefix(filepath.ToSlash(p), "testdata/parse/")] = b
	}
	return files
}

// summary renders findings one per line for golden comparison.
func summary(fs []finding.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		keys := make([]string, 0, len(f.Metadata))
		for k := range f.Metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var meta []string
		for _, k := range keys {
			meta = append(meta, k+"="+f.Metadata[k])
		}
		fmt.Fprintf(&b, "%s:%d %s %s [%s]\n    %s\n", f.Path, f.StartLine, f.RuleID, f.Severity, strings.Join(meta, " "), f.Message)
	}
	return b.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("findings differ from %s (-want +got):\n%s", golden, diff)
	}
}

// TestEngineFixtures scans every parser fixture against the test OSV
// records: the golden file is the reviewed list of what the gate reports.
func TestEngineFixtures(t *testing.T) {
	e := testEngine(t, Options{})
	fs := scanFiles(t, e, fixtureFiles(t))
	for _, f := range fs {
		if f.Engine != EngineName || f.Fingerprint == "" || !f.Severity.Valid() || f.StartLine < 1 {
			t.Errorf("malformed finding %+v", f)
		}
	}
	checkGolden(t, "engine.golden", summary(fs))
}

func TestEngineKeyFindings(t *testing.T) {
	e := testEngine(t, Options{})
	fs := scanFiles(t, e, fixtureFiles(t))
	type key struct {
		path string
		line int
		rule string
		sev  finding.Severity
	}
	got := map[key]map[string]string{}
	for _, f := range fs {
		got[key{f.Path, f.StartLine, f.RuleID, f.Severity}] = f.Metadata
	}
	want := []struct {
		k    key
		meta map[string]string
	}{
		// lodash 4.17.15: two records aliasing CVE-2021-23337 merge into one
		// finding; the GHSA id leads; 7.5 -> high; fix 4.17.21.
		{key{"npm-v1/package-lock.json", 7, RuleVulnerable, finding.SeverityHigh},
			map[string]string{"vuln_id": "GHSA-test-lodash-0001", "aliases": "GHSA-test-lodash-0001,CVE-2021-23337,OSV-2021-0002", "fixed_version": "4.17.21", "cvss_score": "7.5", "fix_published": "2024-01-10"}},
		// minimist 0.0.8: first range -> nearest fix 0.2.4; CVSS 9.8 critical.
		{key{"npm-v1/package-lock.json", 19, RuleVulnerable, finding.SeverityCritical},
			map[string]string{"fixed_version": "0.2.4", "fix_published": "2024-01-10", "fix_available_days": "1030"}},
		{key{"npm-v3/package-lock.json", 21, RuleMalicious, finding.SeverityCritical}, map[string]string{"vuln_id": "MAL-2025-0001", "malicious": "true"}},
		{key{"npm-v3/package-lock.json", 21, RuleInstallScript, finding.SeverityLow}, nil},
		{key{"npm-v3/package-lock.json", 16, RuleConfusion, finding.SeverityHigh}, map[string]string{"package": "@acme/secret-sdk"}},
		// ms 2.1.2 <= last_affected 2.1.2, textual MODERATE -> medium, no fix.
		{key{"npm-v3/package-lock.json", 30, RuleVulnerable, finding.SeverityMedium}, map[string]string{"vuln_id": "GHSA-test-ms-0001"}},
		{key{"packagejson/package.json", 5, RuleTyposquat, finding.SeverityHigh}, map[string]string{"intended_package": "express"}},
		{key{"packagejson/package.json", 6, RuleUnpinned, finding.SeverityMedium}, map[string]string{"constraint": "latest"}},
		{key{"packagejson/package.json", 7, RuleUnpinned, finding.SeverityMedium}, nil}, // github shorthand, no commit
		{key{"packagejson/package.json", 4, RuleUnpinned, finding.SeverityMedium}, map[string]string{"constraint": "^4.17.20"}},
		{key{"gomod/go.mod", 6, RuleVulnerable, finding.SeverityHigh}, map[string]string{"fixed_version": "0.23.0", "vuln_id": "GO-test-0001"}},
		{key{"requirements/requirements.txt", 9, RuleUnpinned, finding.SeverityMedium}, map[string]string{"constraint": "any version"}}, // bare "flask"
		{key{"requirements/requirements.txt", 4, RuleVulnerable, finding.SeverityMedium}, map[string]string{"fixed_version": "2.31.0"}},
		{key{"requirements/requirements.txt", 8, RuleVulnerable, finding.SeverityMedium}, map[string]string{"vuln_id": "GHSA-test-urllib3-0001"}},
		{key{"requirements/requirements.txt", 10, RuleUnpinned, finding.SeverityMedium}, nil}, // @main
		{key{"poetry/poetry.lock", 4, RuleVulnerable, finding.SeverityCritical}, map[string]string{"fixed_version": "4.2.8"}},
		{key{"pipfile/Pipfile.lock", 8, RuleVulnerable, finding.SeverityMedium}, nil},
		{key{"pipfile/Pipfile.lock", 19, RuleVulnerable, finding.SeverityMedium}, nil},
		{key{"uv/uv.lock", 13, RuleVulnerable, finding.SeverityMedium}, nil},
		{key{"pyproject/pyproject.toml", 6, RuleTyposquat, finding.SeverityHigh}, map[string]string{"intended_package": "requests"}},
		{key{"pyproject/pyproject.toml", 16, RuleUnpinned, finding.SeverityMedium}, nil},
		{key{"cargo/Cargo.lock", 13, RuleVulnerable, finding.SeverityCritical}, map[string]string{"fixed_version": "1.6.1"}},
		{key{"gemfile/Gemfile.lock", 15, RuleVulnerable, finding.SeverityHigh}, map[string]string{"version": "1.13.9"}},
		{key{"composer/composer.lock", 5, RuleVulnerable, finding.SeverityHigh}, map[string]string{"fixed_version": "7.4.5"}},
		{key{"pom/pom.xml", 11, RuleVulnerable, finding.SeverityCritical}, map[string]string{"vuln_id": "GHSA-test-log4j-0001"}},
		{key{"pom/pom.xml", 16, RuleUnpinned, finding.SeverityMedium}, nil},
		{key{"gradle/gradle.lockfile", 4, RuleVulnerable, finding.SeverityCritical}, map[string]string{"fixed_version": "2.9.10.8"}},
	}
	for _, w := range want {
		meta, ok := got[w.k]
		if !ok {
			t.Errorf("missing finding %+v", w.k)
			continue
		}
		for k, v := range w.meta {
			if meta[k] != v {
				t.Errorf("%+v: metadata %s = %q, want %q", w.k, k, meta[k], v)
			}
		}
	}
	// And what must not be reported.
	notWant := []key{
		{"npm-v3/package-lock.json", 35, RuleVulnerable, finding.SeverityHigh},  // express: withdrawn
		{"uv/uv.lock", 19, RuleVulnerable, finding.SeverityCritical},            // django 4.2.8 is the fix
		{"gradle/gradle.lockfile", 5, RuleVulnerable, finding.SeverityCritical}, // log4j 2.16.0 fixed
		{"packagejson/package.json", 11, RuleUnpinned, finding.SeverityMedium},  // exact 5.4.5
		{"packagejson/package.json", 8, RuleUnpinned, finding.SeverityMedium},   // git with commit
		{"gosum/go.sum", 1, RuleVulnerable, finding.SeverityHigh},               // go.sum is not matched
	}
	for _, k := range notWant {
		if _, ok := got[k]; ok {
			t.Errorf("unexpected finding %+v", k)
		}
	}
}

func TestManifestBesideLockfileIsNotUnpinned(t *testing.T) {
	e := testEngine(t, Options{})
	pj := []byte(`{"dependencies": {"lodash": "^4.17.20"}}`)
	lock := []byte(`{"lockfileVersion": 3, "packages": {"node_modules/lodash": {"version": "4.17.21"}}}`)
	with := scanFiles(t, e, map[string][]byte{"web/package.json": pj, "web/package-lock.json": lock})
	for _, f := range with {
		if f.RuleID == RuleUnpinned {
			t.Errorf("range reported as unpinned although a lockfile sits beside it: %s", f.Message)
		}
	}
	e = testEngine(t, Options{})
	without := scanFiles(t, e, map[string][]byte{"web/package.json": pj, "other/package-lock.json": lock})
	n := 0
	for _, f := range without {
		if f.RuleID == RuleUnpinned {
			n++
		}
	}
	if n != 1 {
		t.Errorf("got %d unpinned findings for a manifest without lockfile, want 1", n)
	}
}

func TestDatabaseNotices(t *testing.T) {
	lock := map[string][]byte{"package-lock.json": []byte(`{"lockfileVersion": 3, "packages": {"node_modules/lodash": {"version": "4.17.15"}}}`)}
	tests := []struct {
		name   string
		opt    Options
		rule   string
		sev    finding.Severity
		inText string
	}{
		{"missing, warn", Options{DBError: vulndb.ErrNoDatabase}, RuleNoDatabase, finding.SeverityInfo, "warden db update"},
		{"missing, fail", Options{DBError: vulndb.ErrNoDatabase, DBAgeAction: "fail"}, RuleNoDatabase, finding.SeverityHigh, "warden db import"},
		{"stale, warn", Options{DB: testDB(t, testNow.Add(-10*24*time.Hour))}, RuleStaleDatabase, finding.SeverityLow, "10 days old"},
		{"stale, fail", Options{DB: testDB(t, testNow.Add(-3*24*time.Hour)), MaxDBAge: 48 * time.Hour, DBAgeAction: "fail"}, RuleStaleDatabase, finding.SeverityHigh, "max_db_age is 2d"},
		{"fresh", Options{}, "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := scanFiles(t, testEngine(t, tt.opt), lock)
			var got []finding.Finding
			for _, f := range fs {
				if f.RuleID == RuleNoDatabase || f.RuleID == RuleStaleDatabase {
					got = append(got, f)
				}
			}
			if tt.rule == "" {
				if len(got) != 0 {
					t.Fatalf("unexpected notice: %v", got)
				}
				return
			}
			if len(got) != 1 || got[0].RuleID != tt.rule || got[0].Severity != tt.sev || !strings.Contains(got[0].Message, tt.inText) {
				t.Fatalf("got %+v, want one %s at %s mentioning %q", got, tt.rule, tt.sev, tt.inText)
			}
		})
	}
	// No dependency files: no notice.
	if fs := scanFiles(t, testEngine(t, Options{DBError: vulndb.ErrNoDatabase}), map[string][]byte{"main.go": nil}); len(fs) != 0 {
		t.Errorf("notice without dependency files: %v", fs)
	}
}

func TestUnparseableFileIsAFinding(t *testing.T) {
	fs := scanFiles(t, testEngine(t, Options{}), map[string][]byte{"package-lock.json": []byte("{not json")})
	if len(fs) != 1 || fs[0].RuleID != RuleUnparseable || fs[0].Severity != finding.SeverityHigh {
		t.Fatalf("got %v", fs)
	}
}

func TestRulesDocumented(t *testing.T) {
	for _, r := range New(Options{}).Rules() {
		if r.ID == "" || r.Title == "" || r.Help == "" || !r.Severity.Valid() || r.Engine != EngineName {
			t.Errorf("incomplete rule %+v", r)
		}
	}
}

func TestOptionsFromPolicy(t *testing.T) {
	var p policy.Policy
	p.Dependencies.Typosquat = true
	p.Dependencies.InternalScopes = []string{"@acme/*"}
	p.Dependencies.InternalNames = []string{"acme-*"}
	p.Gates.DBAgeAction = "fail"
	o := OptionsFromPolicy(&p)
	if !o.Typosquat || o.DBAgeAction != "fail" || len(o.InternalPatterns) != 2 {
		t.Errorf("options = %+v", o)
	}
	// gates.max_db_age: 0 is no limit: a year-old database is not stale.
	o.DB = testDB(t, testNow.AddDate(-1, 0, 0))
	o.Now = func() time.Time { return testNow }
	if _, stale := New(o).dbFinding(""); stale {
		t.Error("max_db_age 0 should mean no limit")
	}
	p.Gates.MaxDBAge = policy.Duration(30 * 24 * time.Hour)
	o2 := OptionsFromPolicy(&p)
	o2.DB, o2.Now = o.DB, o.Now
	if f, stale := New(o2).dbFinding(""); !stale || f.Severity != finding.SeverityHigh {
		t.Errorf("a year-old database with max_db_age 30d and db_age_action fail: %+v, %v", f, stale)
	}
}
