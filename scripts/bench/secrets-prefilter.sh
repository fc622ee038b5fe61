#!/usr/bin/env bash
# The keyword prefilter, benchmarked against the options: warden's
# hand-rolled Aho-Corasick DFA (internal/scan/secrets/prefilter.go, copied
# into a scratch module), github.com/BobuSumisu/aho-corasick (the one
# gitleaks uses), github.com/petar-dambovaliev/aho-corasick (a port of the
# Rust crate), and a naive loop of bytes.Index per keyword. Same keywords
# (the engine's, about 400), same input (GOROOT/src/net/http/*.go, ~1.5 MB),
# all must report the same number of hits.
#
#   scripts/bench/secrets-prefilter.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go run ./internal/scan/secrets/corpus/gen -keywords > "$work/keywords.txt"
sed -e 's/^package secrets$/package acbench/' internal/scan/secrets/prefilter.go > "$work/prefilter.go"
cat > "$work/shim.go" <<'GO'
package acbench

var base64Byte [256]bool

const minBase64Run = 24
GO
cat > "$work/bench_test.go" <<'GO'
package acbench

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	bobu "github.com/BobuSumisu/aho-corasick"
	petar "github.com/petar-dambovaliev/aho-corasick"
)

func load(b *testing.B) ([]string, []byte) {
	kw, err := os.ReadFile("keywords.txt")
	if err != nil {
		b.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(runtime.GOROOT(), "src", "net", "http", "*.go"))
	var in []byte
	for _, f := range files {
		c, _ := os.ReadFile(f)
		in = append(in, c...)
	}
	return strings.Fields(string(kw)), bytes.ToLower(in) // lower-cased: not every option folds case
}

var want = -1

func check(b *testing.B, name string, n int) {
	if want < 0 {
		want = n
	}
	if n != want {
		b.Logf("%s: %d hits, others %d (overlap semantics differ)", name, n, want)
	}
}

func BenchmarkWardenDFA(b *testing.B) {
	kws, in := load(b)
	p := buildPrefilter(kws)
	b.SetBytes(int64(len(in)))
	n := 0
	for b.Loop() {
		n = 0
		p.scan(in, func(hit) { n++ })
	}
	check(b, "warden", n)
}

func BenchmarkBobuSumisu(b *testing.B) {
	kws, in := load(b)
	t := bobu.NewTrieBuilder().AddStrings(kws).Build()
	b.SetBytes(int64(len(in)))
	n := 0
	for b.Loop() {
		n = len(t.Match(in))
	}
	check(b, "BobuSumisu", n)
}

func BenchmarkPetarDambovaliev(b *testing.B) {
	kws, in := load(b)
	builder := petar.NewAhoCorasickBuilder(petar.Opts{MatchKind: petar.StandardMatch, DFA: true})
	m := builder.Build(kws)
	s := string(in)
	b.SetBytes(int64(len(in)))
	n := 0
	for b.Loop() {
		n = 0
		it := m.IterOverlapping(s)
		for it.Next() != nil {
			n++
		}
	}
	check(b, "petar-dambovaliev", n)
}

func BenchmarkNaiveIndexLoop(b *testing.B) {
	kws, in := load(b)
	b.SetBytes(int64(len(in)))
	n := 0
	for b.Loop() {
		n = 0
		for _, k := range kws {
			kb := []byte(k)
			for i := 0; ; {
				j := bytes.Index(in[i:], kb)
				if j < 0 {
					break
				}
				n++
				i += j + 1
			}
		}
	}
	check(b, "naive", n)
}
GO
cd "$work"
go mod init acbench >/dev/null 2>&1
go get github.com/BobuSumisu/aho-corasick@v1.0.3 github.com/petar-dambovaliev/aho-corasick@v0.0.0-20250424160509-463d218d4745 >/dev/null 2>&1 \
  || go get github.com/BobuSumisu/aho-corasick@v1.0.3 github.com/petar-dambovaliev/aho-corasick@latest
echo "keywords: $(wc -l < keywords.txt); $(date -u +%Y-%m-%dT%H:%MZ); load average $(cut -d' ' -f1-3 /proc/loadavg)"
go test -run XXX -bench . -benchtime 2s -count 1 . | grep -E 'Benchmark|hits'
