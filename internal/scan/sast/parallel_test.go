package sast

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// pipelineResult is everything one file's check produces: the lowered
// Unit, the rule matches in the order they were found, and the findings.
type pipelineResult struct {
	unit     *Unit
	hits     []hit
	findings string
}

func runPipeline(t *testing.T, e *Engine, name string, src []byte, c cuts) pipelineResult {
	t.Helper()
	ctx := context.Background()
	u, err := parseUnit(ctx, name, src, c.lower)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	hits := e.analyze(u, c.analyze)
	fs := e.findings(u, hits) // what check returns
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%+v\n", f)
	}
	return pipelineResult{u, hits, b.String()}
}

var pipelineCmp = []cmp.Option{
	cmpopts.IgnoreUnexported(Unit{}),
	cmp.Comparer(func(a, b *Rule) bool { return a == b }),
	cmp.AllowUnexported(hit{}),
	cmpopts.EquateEmpty(),
}

// diffPipeline reports how got differs from the serial result want.
func diffPipeline(got, want pipelineResult) string {
	// reflect.DeepEqual is exact (nil and empty slices differ too) and
	// fast; go-cmp only explains a difference.
	if reflect.DeepEqual(got.unit, want.unit) && reflect.DeepEqual(got.hits, want.hits) && got.findings == want.findings {
		return ""
	}
	if d := cmp.Diff(want.unit, got.unit, pipelineCmp...); d != "" {
		return "lowered unit (-serial +split):\n" + d
	}
	if d := cmp.Diff(want.hits, got.hits, pipelineCmp...); d != "" {
		return "rule matches (-serial +split):\n" + d
	}
	if got.findings != want.findings {
		return "findings differ:\n" + cmp.Diff(want.findings, got.findings)
	}
	return "differs only in nil against empty slices"
}

// spread returns up to n cut points spread over 1..max, always including
// both ends.
func spread(max, n int) []int {
	if max < 1 {
		return nil
	}
	if max <= n {
		out := make([]int, max)
		for i := range out {
			out[i] = i + 1
		}
		return out
	}
	out := []int{}
	for i := 0; i < n; i++ {
		k := 1 + i*(max-1)/(n-1)
		if len(out) == 0 || out[len(out)-1] != k {
			out = append(out, k)
		}
	}
	return out
}

// pipelineFiles is every rule sample and corpus file, generated handler
// files in each language, and the cases built to take the serial redo paths.
func pipelineFiles(t *testing.T) []struct {
	name string
	src  []byte
} {
	var files []struct {
		name string
		src  []byte
	}
	for _, c := range loadCases(t) {
		files = append(files, struct {
			name string
			src  []byte
		}{c.archive + ":" + c.name, c.src})
	}
	for _, ext := range []string{".go", ".py", ".js", ".ts", ".tsx"} {
		files = append(files, struct {
			name string
			src  []byte
		}{"gen" + ext, genFile(ext, 300)})
	}
	for _, c := range redoCases {
		files = append(files, struct {
			name string
			src  []byte
		}{c.name, []byte(c.src)})
	}
	return files
}

// redoCases take the serial redo paths when cut in the middle.
var redoCases = []struct{ name, src string }{
	// An import the lowering never visits (a while loop's else clause):
	// the pre-pass sees `sp`, the serial lowering does not.
	{"redo-lower.py", `import os

while False:
    pass
else:
    import subprocess as sp

def handler():
    sp.call(os.environ["CMD"], shell=True)
`},
	// Two handlers in different halves pass request data to one helper,
	// which the serial walk follows once.
	{"redo-analyze.py", `import subprocess
from flask import Flask, request

app = Flask(__name__)

def run(cmd):
    subprocess.call(cmd, shell=True)

@app.route("/a")
def a():
    run(request.args.get("x"))

@app.route("/b")
def b():
    run(request.args.get("y"))
`},
	{"redo-analyze.js", `const { exec } = require("child_process");
const express = require("express");
const app = express();

function run(cmd) {
  exec(cmd);
}

function a(req, res) {
  run(req.query.x);
}

function b(req, res) {
  run(req.query.y);
}
`},
	// Whole-body reads in several handlers: the file-level rule reports
	// the first in the serial order.
	{"body-order.js", `const express = require("express");
const db = require("./db");
const app = express();

function c(req, res) {
  const third = req.body;
  db.insert(third);
}

app.post("/a", (req, res) => {
  const data = req.body;
  db.insert(data);
});

app.post("/b", (req, res) => {
  const other = req.body;
  db.insert(other);
});

function d(req, res) {
  const fourth = req.body;
  db.insert(fourth);
}
`},
	// A handler registered at module level follows a helper that reads a
	// module variable assigned again later: the helper is walked with the
	// module scope as it was where the handler was registered.
	{"scope-order.js", `const { exec } = require("child_process");
const express = require("express");
const app = express();
let base = "ls ";

function helper(arg) {
  exec(base + "x");
  exec(arg);
}

app.get("/a", (req, res) => {
  helper(req.query.x);
});

base = process.env.BASE;
`},
}

// TestParallelSameFindings: for every rule sample, corpus file and
// generated file, lowering and analysing the file in two halves, at every
// cut (up to 24 spread over the file per stage), gives exactly the serial
// path's lowered tree, rule matches in the same order, and findings.
func TestParallelSameFindings(t *testing.T) {
	e := New()
	l0, lr0, a0, ar0 := lowerSplits.Load(), lowerRedone.Load(), analyzeSplits.Load(), analyzeRedone.Load()
	compared, failed := 0, 0
	for _, f := range pipelineFiles(t) {
		serial := runPipeline(t, e, f.name, f.src, cuts{-1, -1})
		nTop := 0
		if !strings.HasSuffix(f.name, ".go") {
			root, _, ok := grammarFor(f.name).parseFlat(context.Background(), f.src, 0, uint64(parseBudget(len(f.src)).Microseconds()))
			if !ok || root == nil {
				t.Fatalf("%s: parse failed", f.name)
			}
			nTop = len(root.named1())
		}
		// The analysis's items: functions met at module level, then the
		// top-level functions and classes (cut at nDef: none split, but
		// recorded and merged).
		e.analyze(serial.unit, 1<<30)
		nDef := int(lastAnalysisItems.Load())
		var cs []cuts
		for _, k := range spread(nTop-1, 24) {
			cs = append(cs, cuts{k, -1})
		}
		for _, k := range spread(nDef, 24) {
			cs = append(cs, cuts{-1, k})
		}
		if nTop > 1 && nDef > 1 {
			cs = append(cs, cuts{nTop / 2, nDef / 2})
		}
		for _, c := range cs {
			compared++
			if d := diffPipeline(runPipeline(t, e, f.name, f.src, c), serial); d != "" {
				t.Errorf("%s, cut lowering at %d, analysis at %d:\n%s", f.name, c.lower, c.analyze, d)
				if failed++; failed == 5 {
					t.Fatal("stopping after 5 differences")
				}
			}
		}
	}
	l, lr, a, ar := lowerSplits.Load()-l0, lowerRedone.Load()-lr0, analyzeSplits.Load()-a0, analyzeRedone.Load()-ar0
	t.Logf("%d split runs compared; lowering: %d split, %d redone; analysis: %d split, %d redone", compared, l, lr, a, ar)
	// The comparison means something only if every path ran.
	if l < 500 || a < 200 || lr == 0 || ar == 0 {
		t.Errorf("paths not exercised: lowering %d split, %d redone; analysis %d split, %d redone", l, lr, a, ar)
	}
}

// TestParallelRedo: the built cases take the redo paths at their middle
// cut (and still give the serial result, checked above).
func TestParallelRedo(t *testing.T) {
	e := New()
	check := func(name string, c cuts, counter func() int64, sink bool) {
		t.Helper()
		src := ""
		for _, rc := range redoCases {
			if rc.name == name {
				src = rc.src
			}
		}
		before := counter()
		got := runPipeline(t, e, name, []byte(src), c)
		if counter() == before {
			t.Errorf("%s: cut %+v did not take the redo path", name, c)
		}
		if d := diffPipeline(got, runPipeline(t, e, name, []byte(src), cuts{-1, -1})); d != "" {
			t.Errorf("%s: %s", name, d)
		}
		if sink && got.findings == "" {
			t.Errorf("%s: no findings; the case should report its sink", name)
		}
	}
	// Serially, sp.call is not resolved to subprocess.call: no finding.
	check("redo-lower.py", cuts{2, -1}, lowerRedone.Load, false)
	check("redo-analyze.py", cuts{-1, 2}, analyzeRedone.Load, true)
	check("redo-analyze.js", cuts{-1, 2}, analyzeRedone.Load, true)
}

// TestParallelSameFindingsTree runs the comparison over a whole source tree
// (SAST_TREE=dir, e.g. $(go env GOROOT)/src or a node_modules corpus): each
// file is checked serially with the whole-file parse, and with every split
// (parse, lowering, analysis) the engine makes when a core is free, and the
// findings must be byte for byte the same. It takes minutes, so it runs
// only when SAST_TREE names the tree.
func TestParallelSameFindingsTree(t *testing.T) {
	dir := os.Getenv("SAST_TREE")
	if dir == "" {
		t.Skip("SAST_TREE is not set: the whole-tree comparison runs on demand (see docs/PERFORMANCE.md)")
	}
	e := New()
	ctx := context.Background()
	files, split := 0, 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !e.Wants(p) {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil || len(src) > MaxFileSize || Minified(src) {
			return nil
		}
		files++
		splitEnabled = false
		want, werr := e.check(ctx, p, src, cuts{-1, -1})
		splitEnabled = true
		l0, a0 := lowerSplits.Load()+lowerRedone.Load(), analyzeSplits.Load()+analyzeRedone.Load()
		got, gerr := e.check(ctx, p, src, cuts{})
		if lowerSplits.Load()+lowerRedone.Load() != l0 || analyzeSplits.Load()+analyzeRedone.Load() != a0 {
			split++
		}
		if (werr == nil) != (gerr == nil) {
			t.Errorf("%s: serial error %v, split error %v", p, werr, gerr)
			return nil
		}
		if d := cmp.Diff(fmt.Sprintf("%+v", want), fmt.Sprintf("%+v", got)); d != "" {
			t.Errorf("%s: findings differ (-serial +split):\n%s", p, d)
		}
		return nil
	})
	splitEnabled = true
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d files, %d split", dir, files, split)
	if split == 0 {
		t.Errorf("no file was split: the tree has no file of %d bytes or more", lowerSplitMin)
	}
}

// fuzzParallel: for any input, lowering and analysing in two halves (cut
// in the middle or after the first item, at each stage and at both) gives
// the serial result.
func fuzzParallel(f *testing.F, ext string) {
	for _, c := range loadCases(f) {
		if strings.HasSuffix(c.name, ext) {
			f.Add(c.src)
		}
	}
	for _, c := range redoCases {
		if strings.HasSuffix(c.name, ext) {
			f.Add([]byte(c.src))
		}
	}
	e := New()
	f.Fuzz(func(t *testing.T, src []byte) {
		name := "fuzz" + ext
		u, err := parseUnit(context.Background(), name, src, -1)
		if err != nil {
			return
		}
		serial := pipelineResult{u, e.analyze(u, -1), ""}
		serial.findings = fmt.Sprintf("%+v", e.findings(u, serial.hits))
		for _, c := range []cuts{{cutMiddle, -1}, {-1, cutMiddle}, {cutMiddle, cutMiddle}, {1, -1}, {-1, 1}} {
			gu, err := parseUnit(context.Background(), name, src, c.lower)
			if err != nil {
				t.Fatalf("cut %+v: %v", c, err)
			}
			got := pipelineResult{gu, e.analyze(gu, c.analyze), ""}
			got.findings = fmt.Sprintf("%+v", e.findings(gu, got.hits))
			if d := diffPipeline(got, serial); d != "" {
				t.Fatalf("cut %+v:\n%s", c, d)
			}
		}
	})
}

func FuzzParallelPython(f *testing.F)     { fuzzParallel(f, ".py") }
func FuzzParallelJavaScript(f *testing.F) { fuzzParallel(f, ".js") }
func FuzzParallelTSX(f *testing.F)        { fuzzParallel(f, ".tsx") }
