package lazyre

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

func TestRegexp(t *testing.T) {
	r := New(`^a(b+)c$`)
	if r.re != nil {
		t.Fatal("compiled before first use")
	}
	if !r.MatchString("abbc") || r.MatchString("ac") {
		t.Error("MatchString")
	}
	if got := r.FindStringSubmatch("abbbc"); len(got) != 2 || got[1] != "bbb" {
		t.Errorf("FindStringSubmatch = %q", got)
	}
	if r.String() != `^a(b+)c$` {
		t.Errorf("String = %q", r.String())
	}
}

// TestNoInitTimeRegexps keeps regular expressions out of package
// initialization. Every warden process runs every linked package's init,
// and `warden hook` runs once per agent action: compiling a few dozen
// expressions at start-up cost it more than the decision itself (measured
// in docs/PERFORMANCE.md, ## Agent guard). Declare package-level
// expressions with lazyre.New, or compile them in a sync.OnceValue.
func TestNoInitTimeRegexps(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	var bad []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		if f.Name.Name == "main" && !strings.Contains(filepath.ToSlash(path), "cmd/warden/") {
			return nil // generators and tools, not linked into warden
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			ast.Inspect(gd, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.FuncLit:
					return false // runs when called, not at init (e.g. sync.OnceValue)
				case *ast.CallExpr:
					if sel, ok := x.Fun.(*ast.SelectorExpr); ok {
						if id, ok := sel.X.(*ast.Ident); ok && id.Name == "regexp" && (sel.Sel.Name == "MustCompile" || sel.Sel.Name == "Compile" || sel.Sel.Name == "MustCompilePOSIX") {
							bad = append(bad, fset.Position(x.Pos()).String())
						}
					}
				}
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Errorf("%s: regexp compiled at package initialization; use lazyre.New (internal/lazyre) so that `warden hook` starts fast", b)
	}
}
