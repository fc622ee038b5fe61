package sast

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// sameTree reports the first difference between two trees, or "".
func sameTree(a, b *tnode, path string) string {
	if a.typ != b.typ || a.field != b.field || a.start != b.start || a.end != b.end || a.named != b.named || len(a.kids) != len(b.kids) {
		return fmt.Sprintf("%s: %s %q [%d,%d) named=%v kids=%d, want %s %q [%d,%d) named=%v kids=%d", path,
			a.typ, a.field, a.start, a.end, a.named, len(a.kids), b.typ, b.field, b.start, b.end, b.named, len(b.kids))
	}
	for i := range a.kids {
		if d := sameTree(a.kids[i], b.kids[i], fmt.Sprintf("%s/%d:%s", path, i, b.kids[i].typ)); d != "" {
			return d
		}
	}
	return ""
}

func grammarFor(name string) *tsGrammar {
	grammars()
	switch {
	case strings.HasSuffix(name, ".py"):
		return gPython
	case strings.HasSuffix(name, ".tsx"):
		return gTSX
	case strings.HasSuffix(name, ".ts"):
		return gTS
	}
	return gJS
}

// TestSplitParseSameTree: wherever a file may be cut, parsing the two halves
// and joining them gives exactly the whole file's tree (so the findings
// cannot differ), or the split is refused and the whole file is parsed.
func TestSplitParseSameTree(t *testing.T) {
	type file struct {
		name string
		src  []byte
	}
	var files []file
	for _, c := range loadCases(t) {
		if c.lang != LangGo {
			files = append(files, file{c.archive + ":" + c.name, c.src})
		}
	}
	for _, ext := range []string{".py", ".js", ".ts", ".tsx"} {
		files = append(files, file{"gen" + ext, genFile(ext, 300)})
	}
	ctx := context.Background()
	budget := uint64(parseBudget(1 << 20).Microseconds())
	splits, refused := 0, 0
	for _, f := range files {
		g := grammarFor(f.name)
		whole, _, ok := g.parseFlat(ctx, f.src, 0, budget)
		if !ok || whole == nil {
			t.Fatalf("%s: whole parse failed", f.name)
		}
		tried := 0
		for i := range f.src {
			if !splitAt(f.src, i, g.python) {
				continue
			}
			if tried++; tried > 12 {
				break
			}
			got, ok := g.parseSplit(ctx, f.src, i, budget)
			if !ok {
				refused++
				continue
			}
			splits++
			if d := sameTree(got, whole, whole.typ); d != "" {
				t.Errorf("%s cut at %d (line %q): split tree differs: %s", f.name, i, firstLine(f.src[i:]), d)
			}
		}
	}
	t.Logf("%d files, %d split parses equal to the whole parse, %d refused", len(files), splits, refused)
	if splits < 200 {
		t.Errorf("only %d split parses compared; the corpus should offer hundreds", splits)
	}
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s
}

// TestSplitRefusesCutsInsideConstructs: a cut that falls inside a string,
// comment, template or bracket leaves one half unterminated, and the split
// is refused.
func TestSplitRefusesCutsInsideConstructs(t *testing.T) {
	cases := []struct{ name, before, after string }{
		{"a.py", "x = 1\nDOC = \"\"\"\nsome text\n\n", "inside = the_string\n\"\"\"\nprint(DOC)\n"},
		{"b.py", "CONF = (\n  1 +\n\n", "b + 2)\nprint(CONF)\n"},
		{"c.js", "const a = 1;\nconst t = `\n}\n\n", "text ${a} in template`;\nconsole.log(t);\n"},
		{"d.js", "const a = 1;\n/*\nfunction old() {}\n\n", "old();\n*/\nconsole.log(a);\n"},
		{"e.js", "function f() {\n  return 1;\n}\n\n", "g(\n"},
		{"f.py", "def f():\n    pass\n\n", "g(\n"},
	}
	ctx := context.Background()
	budget := uint64(parseBudget(1 << 20).Microseconds())
	for _, c := range cases {
		src := []byte(c.before + c.after)
		g := grammarFor(c.name)
		at := len(c.before)
		if !splitAt(src, at, g.python) {
			t.Errorf("%s: splitAt(%d) = false; the case should exercise the fallback", c.name, at)
			continue
		}
		if _, ok := g.parseSplit(ctx, src, at, budget); ok {
			t.Errorf("%s: a cut inside a construct was accepted", c.name)
		}
	}
}

// TestSplitPointMiddle: the cut is near the middle of a large file.
func TestSplitPointMiddle(t *testing.T) {
	for _, ext := range []string{".py", ".js"} {
		src := genFile(ext, 2000)
		at := splitPoint(src, ext == ".py")
		if at < len(src)/4 || at > len(src)*3/4 {
			t.Errorf("%s: split at %d of %d", ext, at, len(src))
		}
	}
	for _, c := range []struct {
		src    string
		python bool
	}{
		{"x = [\n1,\n\n2]\n", true},
		{"if x:\n    pass\n\nelse:\n    pass\n", true},
		{"try:\n    f()\n\nexcept E:\n    pass\n", true},
		{"if (x) {\n  f();\n}\n\nelse {\n  g();\n}\n", false},
		{"try {\n  f();\n}\n\ncatch (e) {}\n", false},
		{"do {\n  f();\n}\n\nwhile (x);\n", false},
		{"const a = {b: 1}\n\ninstanceof Object;\n", false},
		{"let a = f()\n\ng();\n", false}, // no ';' or '}' before the cut
	} {
		for i := range c.src {
			if splitAt([]byte(c.src), i, c.python) {
				t.Errorf("%q: may be cut at %d", c.src, i)
			}
		}
	}
}

// fuzzSplit: for any input, a split that is accepted gives the whole tree.
func fuzzSplit(f *testing.F, ext string) {
	for _, c := range loadCases(f) {
		if strings.HasSuffix(c.name, ext) {
			f.Add(c.src)
		}
	}
	f.Add([]byte("if x:\n    pass\n\nelse:\n    pass\n"))
	f.Add([]byte("a = f()\n\nb = `x\n\ny`;\n"))
	g := grammarFor("x" + ext)
	budget := uint64(parseBudget(1 << 16).Microseconds())
	f.Fuzz(func(t *testing.T, src []byte) {
		ctx := context.Background()
		whole, _, ok := g.parseFlat(ctx, src, 0, budget)
		if !ok || whole == nil {
			return
		}
		tried := 0
		for i := range src {
			if !splitAt(src, i, g.python) {
				continue
			}
			if tried++; tried > 8 {
				return
			}
			if got, ok := g.parseSplit(ctx, src, i, budget); ok {
				if d := sameTree(got, whole, whole.typ); d != "" {
					t.Fatalf("cut at %d (line %q): split tree differs: %s", i, firstLine(src[i:]), d)
				}
			}
		}
	})
}

func FuzzSplitPython(f *testing.F)     { fuzzSplit(f, ".py") }
func FuzzSplitJavaScript(f *testing.F) { fuzzSplit(f, ".js") }
func FuzzSplitTypeScript(f *testing.F) { fuzzSplit(f, ".ts") }
