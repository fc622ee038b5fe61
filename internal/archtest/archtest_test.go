package archtest

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const module = "github.com/wardenhq/warden"

// pkg is one directory's non-test Go files.
type pkg struct {
	dir     string              // module-relative, slash-separated
	imports map[string][]string // import path -> files importing it
	calls   []string            // "file: slog.Info" forbidden calls
	program bool                // package main: a command or go:generate tool, never imported
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("repository root not found from %s: %v", dir, err)
	}
	return dir
}

func loadPackages(t *testing.T, root string) map[string]*pkg {
	t.Helper()
	pkgs := map[string]*pkg{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		p := pkgs[rel]
		if p == nil {
			p = &pkg{dir: rel, imports: map[string][]string{}}
			pkgs[rel] = p
		}
		if f.Name.Name == "main" {
			p.program = true
		}
		local := map[string]string{} // local name -> import path
		for _, im := range f.Imports {
			ip, _ := strconv.Unquote(im.Path.Value)
			p.imports[ip] = append(p.imports[ip], name)
			ln := ip[strings.LastIndex(ip, "/")+1:]
			if im.Name != nil {
				ln = im.Name.Name
			}
			local[ln] = ip
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			id, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			if funcs, ok := ForbiddenCalls[local[id.Name]]; ok && slices.Contains(funcs, sel.Sel.Name) {
				p.calls = append(p.calls, fset.Position(sel.Pos()).String()+": "+id.Name+"."+sel.Sel.Name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func isCore(dir string) bool {
	for _, c := range CorePackages {
		if base, ok := strings.CutSuffix(c, "/..."); ok {
			if dir == base || strings.HasPrefix(dir, base+"/") {
				return true
			}
		} else if dir == c {
			return true
		}
	}
	return false
}

// TestCoreHasNoForbiddenDependencies fails when a core package imports
// net/http, os/exec, a terminal package or the log package, directly or
// through another package of this module, or calls the global slog logger.
func TestCoreHasNoForbiddenDependencies(t *testing.T) {
	pkgs := loadPackages(t, repoRoot(t))
	core := corePackages(pkgs)
	if len(core) < 4 {
		t.Fatalf("only %d core packages found (%v): is CorePackages out of date?", len(core), core)
	}
	for _, v := range violations(pkgs) {
		t.Error(v)
	}
}

func corePackages(pkgs map[string]*pkg) []string {
	var core []string
	for dir, p := range pkgs {
		// A program under a core directory (a go:generate tool) cannot be
		// imported by the core, so what it imports does not reach it.
		if isCore(dir) && !p.program {
			core = append(core, dir)
		}
	}
	slices.Sort(core)
	return core
}

func violations(pkgs map[string]*pkg) []string {
	var out []string
	for _, dir := range corePackages(pkgs) {
		// Walk the module-internal import graph from dir.
		seen := map[string]bool{}
		var path []string
		var visit func(d string)
		visit = func(d string) {
			if seen[d] {
				return
			}
			seen[d] = true
			p := pkgs[d]
			if p == nil {
				return
			}
			path = append(path, d)
			defer func() { path = path[:len(path)-1] }()
			imports := make([]string, 0, len(p.imports))
			for ip := range p.imports {
				imports = append(imports, ip)
			}
			slices.Sort(imports)
			for _, ip := range imports {
				for _, bad := range ForbiddenImports {
					if ip == bad || (bad != "log" && strings.HasPrefix(ip, bad+"/")) {
						out = append(out, fmt.Sprintf("core package %s depends on %s (via %s, in %s)", dir, ip, strings.Join(path, " -> "), strings.Join(p.imports[ip], ", ")))
					}
				}
				if sub, ok := strings.CutPrefix(ip, module+"/"); ok {
					visit(sub)
				}
			}
			for _, c := range p.calls {
				out = append(out, fmt.Sprintf("core package %s uses the global logger (via %s): %s", dir, strings.Join(path, " -> "), c))
			}
		}
		visit(dir)
	}
	return out
}

// TestArchtestCatchesViolations makes sure the check above can fail.
func TestArchtestCatchesViolations(t *testing.T) {
	root := t.TempDir()
	write := func(rel, src string) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module "+module+"\n")
	write("internal/finding/f.go", "package finding\nimport _ \""+module+"/internal/helper\"\n")
	write("internal/helper/h.go", "package helper\nimport \"os/exec\"\nvar _ = exec.Command\n")
	write("internal/redact/r.go", "package redact\nimport lg \"log/slog\"\nfunc f() { lg.Info(\"x\") }\n")
	write("internal/cli/c.go", "package cli\nimport (\"os/exec\"; \"log\")\nvar _ = exec.Command\nfunc f() { log.Print() }\n")
	write("internal/scan/sub/s.go", "package sub\nimport \"golang.org/x/term\"\nvar _ = term.IsTerminal\n")
	// A go:generate program under a core directory is not part of the core.
	write("internal/scan/sub/internal/gen/main.go", "package main\nimport \"os/exec\"\nvar _ = exec.Command\nfunc main() {}\n")
	got := violations(loadPackages(t, root))
	for i := range got {
		got[i] = got[i][:strings.Index(got[i], " (via")]
	}
	want := []string{
		"core package internal/finding depends on os/exec",
		"core package internal/redact uses the global logger",
		"core package internal/scan/sub depends on golang.org/x/term",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("violations (-want +got):\n%s", d)
	}
}
