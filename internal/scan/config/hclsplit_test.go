package config

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/wardenhq/warden/internal/finding"
)

func tfFindings(path string, src []byte, body *hclsyntax.Body) []finding.Finding {
	var out []finding.Finding
	s := &scanner{path: path, src: src, report: func(f finding.Finding) { out = append(out, f) }}
	s.lines = newLineIndex(src)
	s.tfBody(body)
	// Attributes are a map: the order of reports is not fixed, the set is.
	sort.Slice(out, func(i, j int) bool { return finding.Less(out[i], out[j]) })
	return out
}

// TestHCLSplitSameFindings: wherever a Terraform file may be cut, the joined
// halves give exactly the whole file's findings (with the same positions),
// or the split is refused.
func TestHCLSplitSameFindings(t *testing.T) {
	type file struct {
		name string
		src  []byte
	}
	var files []file
	for _, c := range loadCorpus(t) {
		for _, f := range c.files {
			if strings.HasSuffix(f.Name, ".tf") {
				files = append(files, file{c.name + ":" + f.Name, f.Data})
			}
		}
	}
	files = append(files, file{"large main.tf", []byte(largeFiles()["main.tf"])})
	splits, withFindings, refused := 0, 0, 0
	for _, f := range files {
		wf, diags := hclsyntax.ParseConfig(f.src, "main.tf", hcl.InitialPos)
		if diags.HasErrors() {
			continue
		}
		want := tfFindings("main.tf", f.src, wf.Body.(*hclsyntax.Body))
		tried := 0
		for i := range f.src {
			if !hclSplitAt(f.src, i) {
				continue
			}
			if tried++; tried > 10 {
				break
			}
			body, ok := parseHCLSplit(f.src, "main.tf", i)
			if !ok {
				refused++ // a cut inside a heredoc, say: the whole file is parsed
				continue
			}
			splits++
			got := tfFindings("main.tf", f.src, body)
			if len(want) > 0 {
				withFindings++
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("%s cut at %d: findings differ (-whole +split):\n%s", f.name, i, d)
			}
		}
	}
	t.Logf("%d files, %d cuts compared (%d with findings), %d refused", len(files), splits, withFindings, refused)
	if splits < 20 || withFindings < 10 {
		t.Errorf("only %d cuts (%d with findings) compared", splits, withFindings)
	}
}

// TestHCLSplitRefused: cuts inside a heredoc, a comment or an unindented
// nested block, and a top-level attribute defined in both halves, fall back
// to the whole parse.
func TestHCLSplitRefused(t *testing.T) {
	cases := []struct{ before, after string }{
		{"locals {\n  x = <<EOF\n}\n", "resource \"a\" \"b\" {}\nEOF\n}\n"},
		{"/*\nresource \"a\" \"b\" {\n}\n", "resource \"c\" \"d\" {}\n*/\n"},
		{"resource \"a\" \"b\" {\ningress {\n}\n", "egress {\n}\n}\n"},
		{"x = 1\nresource \"a\" \"b\" {\n}\n", "x = 2\n"},
	}
	for i, c := range cases {
		src := []byte(c.before + c.after)
		at := len(c.before)
		if !hclSplitAt(src, at) {
			t.Errorf("case %d: hclSplitAt(%d) = false; the case should exercise the fallback", i, at)
			continue
		}
		if _, ok := parseHCLSplit(src, "main.tf", at); ok {
			t.Errorf("case %d: cut accepted", i)
		}
	}
	// parseHCL itself then reports the whole file's error.
	big := strings.Repeat("resource \"a\" \"b\" {\n  x = 1\n}\n", 2000) + "x = 1\n"
	src := []byte(big + strings.Repeat("resource \"a\" \"b\" {\n  x = 1\n}\n", 2000) + "x = 2\n")
	if _, diags := parseHCL(src, "main.tf"); !diags.HasErrors() {
		t.Error("duplicate top-level attribute across the cut not reported")
	}
}

func TestHCLSplitPoint(t *testing.T) {
	src := []byte(largeFiles()["main.tf"])
	at := hclSplitPoint(src)
	if at < len(src)/4 || at > len(src)*3/4 {
		t.Errorf("cut at %d of %d", at, len(src))
	}
	if !strings.HasPrefix(string(src[at:]), "resource") {
		t.Errorf("cut before %q", fmt.Sprint(string(src[at:at+20])))
	}
}

// FuzzHCLSplit: for any input, a cut that is accepted means the whole file
// parses without error and gives the same findings.
func FuzzHCLSplit(f *testing.F) {
	for _, c := range loadCorpus(f) {
		for _, m := range c.files {
			if strings.HasSuffix(m.Name, ".tf") {
				f.Add(m.Data)
			}
		}
	}
	f.Add([]byte("x = 1\n}\ny = 2\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		if _, ok := nestingWithin(src, maxHCLNesting); !ok {
			return
		}
		tried := 0
		for i := range src {
			if !hclSplitAt(src, i) {
				continue
			}
			if tried++; tried > 6 {
				return
			}
			body, ok := parseHCLSplit(src, "main.tf", i)
			if !ok {
				continue
			}
			wf, diags := hclsyntax.ParseConfig(src, "main.tf", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatalf("cut at %d accepted but the whole file has errors: %v", i, diags)
			}
			if d := cmp.Diff(tfFindings("main.tf", src, wf.Body.(*hclsyntax.Body)), tfFindings("main.tf", src, body)); d != "" {
				t.Fatalf("cut at %d: findings differ:\n%s", i, d)
			}
		}
	})
}
