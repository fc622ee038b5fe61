package config

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/scan"
)

// fuzzPaths gives the fuzzer one path per format.
var fuzzPaths = []string{
	"Dockerfile", ".github/workflows/ci.yml", "docker-compose.yml", "main.tf",
	".claude/settings.json", ".mcp.json", "CLAUDE.md", "k8s/app.yaml", "cfn/stack.json",
}

func seedCorpus(f *testing.F, add func(path string, data []byte)) {
	for _, c := range loadCorpus(f) {
		for _, file := range c.files {
			add(file.Name, file.Data)
		}
	}
}

func FuzzParseJSON(f *testing.F) {
	seedCorpus(f, func(p string, data []byte) {
		if detect(p) == formatMCP || detect(p) == formatClaudeSettings || detect(p) == formatJSON {
			f.Add(data)
		}
	})
	f.Add([]byte(`{"a": [1, 2, {"b": null}], /* c */ "d": "e", }`))
	f.Add([]byte(`[[[[[[[[[[]]]]]]]]]]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := parseJSON(data)
		if json.Valid(data) && err != nil && !errors.Is(err, errTooDeep) {
			t.Fatalf("valid JSON rejected: %v", err)
		}
		if err == nil {
			lines := bytes.Count(data, []byte("\n")) + 1
			walk(n, 0, func(m *node) {
				if m.line < 1 || m.line > lines || m.col < 1 {
					t.Fatalf("node at %d:%d outside a %d-line input", m.line, m.col, lines)
				}
			})
		}
	})
}

func walk(n *node, depth int, fn func(*node)) {
	if n == nil || depth > maxDepth+1 {
		return
	}
	fn(n)
	for _, c := range n.keys {
		walk(c, depth+1, fn)
	}
	for _, c := range n.vals {
		walk(c, depth+1, fn)
	}
	for _, c := range n.items {
		walk(c, depth+1, fn)
	}
}

func FuzzParseYAML(f *testing.F) {
	seedCorpus(f, func(p string, data []byte) {
		if d := detect(p); d == formatWorkflow || d == formatCompose || d == formatYAML {
			f.Add(data)
		}
	})
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("a: &a [1,2]\nb: &b [*a,*a,*a,*a]\nc: [*b,*b,*b,*b]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = parseYAML(data) // must not panic or hang
	})
}

func FuzzParseDockerfile(f *testing.F) {
	seedCorpus(f, func(p string, data []byte) {
		if detect(p) == formatDockerfile {
			f.Add(data)
		}
	})
	f.Add([]byte("# escape=`\nRUN a `\n  b\nRUN <<EOF\nx\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, in := range parseDockerfile(data) {
			if in.line < 1 || in.line > lines {
				t.Fatalf("instruction %s at line %d of %d", in.cmd, in.line, lines)
			}
		}
	})
}

// FuzzScan runs the whole engine on arbitrary content under each format's
// path: it must never panic, never fail, and report positions inside the
// file.
func FuzzScan(f *testing.F) {
	seedCorpus(f, func(p string, data []byte) {
		for i, fp := range fuzzPaths {
			if detect(fp) == detect(p) {
				f.Add(uint8(i), data)
			}
		}
	})
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		p := fuzzPaths[int(which)%len(fuzzPaths)]
		lines := bytes.Count(data, []byte("\n")) + 1
		err := New().Scan(context.Background(), scan.File{Path: p, Content: data}, func(fd finding.Finding) {
			if fd.StartLine < 1 || fd.StartLine > lines || fd.RuleID == "" {
				t.Fatalf("%s: finding %s at line %d of %d", p, fd.RuleID, fd.StartLine, lines)
			}
		})
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	})
}
