package sast

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// The front ends parse whatever an agent or a repository holds; none may
// panic, whatever the bytes. Each fuzz target is seeded with every sample of
// its language from testdata, so `go test` runs that corpus every time.

func fuzzFrontEnd(f *testing.F, ext string) {
	for _, c := range loadCases(f) {
		if strings.HasSuffix(c.name, ext) {
			f.Add(c.src)
		}
	}
	f.Add([]byte(""))
	f.Add([]byte("\x00\xff(((((("))
	f.Add([]byte(strings.Repeat("(", 5000)))
	e := New()
	f.Fuzz(func(t *testing.T, src []byte) {
		fs, err := e.Check(context.Background(), "fuzz"+ext, src)
		if err != nil && !errors.Is(err, ErrParseBudget) {
			t.Fatalf("Check: %v", err)
		}
		for _, x := range fs {
			if x.StartLine < 1 || x.RuleID == "" || x.Fingerprint == "" {
				t.Fatalf("malformed finding %+v", x)
			}
		}
	})
}

func FuzzGo(f *testing.F)         { fuzzFrontEnd(f, ".go") }
func FuzzPython(f *testing.F)     { fuzzFrontEnd(f, ".py") }
func FuzzJavaScript(f *testing.F) { fuzzFrontEnd(f, ".js") }
func FuzzTypeScript(f *testing.F) { fuzzFrontEnd(f, ".ts") }
func FuzzTSX(f *testing.F)        { fuzzFrontEnd(f, ".tsx") }
