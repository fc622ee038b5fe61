package sast

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The engine is core code: no network, processes, terminal or global
// logger (the architecture's rule). Checked on the package's own files.
func TestCoreImports(t *testing.T) {
	forbidden := map[string]bool{"net/http": true, "os/exec": true, "log": true, "log/slog": true, "net": true, "golang.org/x/term": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		pf, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range pf.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if forbidden[p] {
				t.Errorf("%s imports %s: the sast engine must stay free of network, process and logger packages", f, p)
			}
		}
	}
}
