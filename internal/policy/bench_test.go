package policy

import (
	"path/filepath"
	"testing"
)

// BenchmarkParseBuiltin: decoding the built-in policy, the work every
// process does before anything else.
func BenchmarkParseBuiltin(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("builtin", builtinYAML); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad: the whole load an agent hook pays per process: built-in
// defaults, an organization baseline and a repository file, with a lock.
func BenchmarkLoad(b *testing.B) {
	dir := b.TempDir()
	org := filepath.Join(dir, "org.yaml")
	writeFileB(b, org, "version: 1\nlocks: [gates.fail_on, models, agent.commands]\ngates:\n  fail_on: medium\n")
	writeFileB(b, filepath.Join(dir, "warden.yaml"), "version: 1\nproject: {name: shop, classification: confidential}\ngates:\n  fail_on: low\n  exclude: [\"gen/**\"]\nagent:\n  commands:\n    rules:\n      - {id: no-prod, command: psql, args: prod, decision: deny}\n")
	opts := LoadOptions{Dir: dir, OrgPath: org}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuiltin: the effective policy with no file at all.
func BenchmarkBuiltin(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Builtin()
	}
}
