package secrets_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/scan/secrets"
	"github.com/wardenhq/warden/internal/scan/secrets/secretgen"
)

// benchInput is ~10 KB of ordinary code with two secrets in it: what the
// agent guard scans on a file write.
func benchInput(b *testing.B) []byte {
	b.Helper()
	src, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "src", "net", "http", "client.go"))
	if err != nil {
		b.Fatal(err)
	}
	in := src[:10<<10]
	r := rand.New(rand.NewPCG(1, 1))
	ds := secrets.Detectors()
	s, _ := secretgen.ForDetector(r, &ds[0])
	out := strings.Replace(string(in), "\n", "\nvar leaked = \""+s.Value+"\"\n", 1)
	out = strings.Replace(out, "\n\n", "\nDB_PASSWORD=\""+secretgen.Password(r, 16)+"\"\n", 1)
	return []byte(out)
}

func BenchmarkFind10KB(b *testing.B) {
	e := newEngine(b, secrets.Options{})
	in := benchInput(b)
	b.SetBytes(int64(len(in)))
	b.ResetTimer()
	for b.Loop() {
		if len(e.Find(in)) != 2 {
			b.Fatal("want 2 matches")
		}
	}
}

func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		newEngine(b, secrets.Options{})
	}
}

// BenchmarkFindGoSource scans real Go source (GOROOT/src/net/http): the
// throughput on code with many keyword hits ("token", "secret").
func BenchmarkFindGoSource(b *testing.B) {
	e := newEngine(b, secrets.Options{})
	files, _ := filepath.Glob(filepath.Join(runtime.GOROOT(), "src", "net", "http", "*.go"))
	var all [][]byte
	n := 0
	for _, f := range files {
		c, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, c)
		n += len(c)
	}
	b.SetBytes(int64(n))
	b.ResetTimer()
	for b.Loop() {
		for _, c := range all {
			e.Find(c)
		}
	}
}
