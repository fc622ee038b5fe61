package scan_test

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/wardenhq/warden/internal/scan"
)

func TestIgnoreMatch(t *testing.T) {
	ig := scan.ParseIgnore([]byte(`# comment
*.log
!keep.log
/build
docs/*.md
node_modules/
**/testdata/**
trailing\ 
\#hash
`))
	tests := []struct {
		path  string
		isDir bool
		want  bool
	}{
		{"a.log", false, true},
		{"deep/x/a.log", false, true},
		{"keep.log", false, false},
		{"deep/keep.log", false, false},
		{"build", true, true},
		{"build", false, true},
		{"src/build", true, false}, // anchored to the root
		{"docs/a.md", false, true},
		{"docs/sub/a.md", false, false}, // * does not cross /
		{"node_modules", true, true},
		{"node_modules", false, false}, // dir-only pattern
		{"x/node_modules", true, true},
		{"pkg/testdata/f.go", false, true},
		{"trailing ", false, true},
		{"#hash", false, true},
		{"main.go", false, false},
	}
	for _, tt := range tests {
		if got := ig.Match(tt.path, tt.isDir); got != tt.want {
			t.Errorf("Match(%q, dir=%v) = %v, want %v", tt.path, tt.isDir, got, tt.want)
		}
	}
	// MatchPath looks at parent directories too.
	for p, want := range map[string]bool{
		"node_modules/lodash/index.js": true,
		"build/out/app.js":             true,
		"src/app.js":                   false,
	} {
		if got := ig.MatchPath(p); got != want {
			t.Errorf("MatchPath(%q) = %v, want %v", p, got, want)
		}
	}
	var nilIg *scan.Ignore
	if nilIg.Match("x", false) || nilIg.MatchPath("a/b") {
		t.Error("a nil Ignore ignored something")
	}
}

func TestWalkHonoursNestedGitignore(t *testing.T) {
	fsys := fstest.MapFS{
		".gitignore":            {Data: []byte("*.tmp\nout/\n")},
		"a.go":                  {Data: []byte("x")},
		"a.tmp":                 {Data: []byte("x")},
		"out/gen.go":            {Data: []byte("x")},
		"sub/.gitignore":        {Data: []byte("local.txt\n!important.tmp\n/only-here.go\n")},
		"sub/local.txt":         {Data: []byte("x")},
		"sub/important.tmp":     {Data: []byte("x")},
		"sub/only-here.go":      {Data: []byte("x")},
		"sub/deep/local.txt":    {Data: []byte("x")},
		"sub/deep/only-here.go": {Data: []byte("x")},
		"other/local.txt":       {Data: []byte("x")},
		".git/config":           {Data: []byte("x")},
	}
	var got []string
	err := (&scan.FSSource{FS: fsys}).Paths(context.Background(), func(p string) error {
		got = append(got, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".gitignore", "a.go", "other/local.txt", "sub/.gitignore", "sub/deep/only-here.go", "sub/important.tmp"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("walk (-want +got):\n%s", d)
	}
}

func FuzzIgnore(f *testing.F) {
	f.Add([]byte("*.log\n!keep.log\n/build/\n**/x/**\n[abc\n\\!x\n"), "a/b/keep.log")
	f.Add([]byte("\x00\n!\n/\n\\\n"), "")
	f.Fuzz(func(t *testing.T, data []byte, p string) {
		ig := scan.ParseIgnore(data)
		_ = ig.Match(p, false)
		_ = ig.Match(p, true)
		_ = ig.MatchPath(p)
		_ = ig.With("sub", data).MatchPath("sub/" + p)
	})
}
