package agent_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/agent"
)

// BenchmarkInjectionGoroot measures the prompt-injection detector's false
// warnings on real, benign text: every .go, .md and .html file of the Go
// distribution (source, comments, docs). It reports files/op and
// warned-files (each a false positive). See docs/ACCURACY.md.
func BenchmarkInjectionGoroot(b *testing.B) {
	var texts []string
	var names []string
	root := filepath.Join(runtime.GOROOT(), "src")
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if ext := filepath.Ext(p); ext != ".go" && ext != ".md" && ext != ".html" || strings.Contains(p, "testdata") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err == nil {
			texts = append(texts, string(data))
			names = append(names, p)
		}
		return nil
	})
	if len(texts) == 0 {
		b.Fatal("no GOROOT sources")
	}
	var warned []string
	for b.Loop() {
		warned = warned[:0]
		for i, t := range texts {
			if hits := agent.DetectInjection(t); len(hits) > 0 {
				warned = append(warned, names[i]+": "+hits[0].Kind)
			}
		}
	}
	for _, w := range warned {
		b.Log(w)
	}
	b.ReportMetric(float64(len(texts)), "files")
	b.ReportMetric(float64(len(warned)), "warned-files")
}
