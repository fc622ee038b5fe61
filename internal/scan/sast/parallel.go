package sast

import (
	"maps"
	"runtime"
	"sync/atomic"
)

// One large file on two cores: after the parse (split.go), the lowering of
// the top-level statements and the analysis of the file's functions and
// classes each run in two halves on two goroutines when a core is free.
// Both halves compute exactly what the serial walk computes, and where that
// cannot be shown cheaply the second half is redone serially:
//
//   - Lowering resolves names through the imports seen so far, so the
//     second half starts from the imports the first half declares, found by
//     a pre-pass over the first half's tree with the front end's own import
//     code. If the first half's real lowering ends with other imports than
//     the pre-pass found (an import in a place the lowering does not visit),
//     the second half is lowered again, serially, after the first.
//   - The analysis of functions and classes reads the module scope (final
//     before they are walked) and shares one thing between functions: a
//     tainted argument is followed into a helper once per file
//     (summary.go). If both halves followed the same helper argument, the
//     second half is analysed again, serially, after the first.
//
// Findings are merged in the serial order. TestParallelSameFindings checks
// every cut of every rule sample and corpus file against the serial path.

// cuts says where a file's lowering and analysis are split: 0 lets the
// engine decide (the middle, when the file is large and a core is free),
// a negative value never splits, k > 0 splits before top-level statement k
// (lower) or deferred function/class k (analyze); tests use the last two.
type cuts struct{ lower, analyze int }

// cutMiddle as a cut splits in the middle whatever the file's size and the
// free cores (tests and fuzzers).
const cutMiddle = 1<<31 - 1

// inflight counts the files being parsed, lowered or analysed; work is split
// only while fewer files than cores are in flight (a tree scan already keeps
// every core busy, and its files are not split).
var inflight atomic.Int32

// How often each path was taken (tests, benchmarks).
var lowerSplits, lowerRedone, analyzeSplits, analyzeRedone atomic.Int64

// spareCore reports whether a second goroutine would find a free core.
func spareCore() bool { return int(inflight.Load()) < runtime.GOMAXPROCS(0) }

// both runs f on another goroutine and g on this one, and returns when both
// have returned. A panic in f is raised again here, so a caller that
// recovers (the agent guard) sees it as it would in the serial path.
func both(f, g func()) {
	var p any
	var cf, cg int64
	measure := measureCrit.Load()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { p = recover() }()
		if measure {
			cf = threadTime(f)
			return
		}
		f()
	}()
	if measure {
		cg = threadTime(g)
	} else {
		g()
	}
	<-done
	if p != nil {
		panic(p)
	}
	if measure {
		critExtra.Add(max(cf, cg) - cg)
	}
}

// While measureCrit is set (BenchmarkCheck2000Lines), both adds to
// critExtra how much longer, in thread CPU time, the other goroutine's half
// ran than the caller's: the caller's CPU time plus critExtra is the
// critical path on two free cores.
var (
	measureCrit atomic.Bool
	critExtra   atomic.Int64
)

// threadTime runs f on one OS thread and returns the thread's CPU time for it.
func threadTime(f func()) int64 {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0 := threadCPU()
	f()
	return threadCPU() - t0
}

// middle returns the index that splits items (by byte span) in two halves
// of about equal size, or -1 when there are fewer than two.
func middle(n int, span func(i int) int) int {
	if n < 2 {
		return -1
	}
	total := 0
	for i := 0; i < n; i++ {
		total += span(i)
	}
	acc := 0
	for i := 0; i < n-1; i++ {
		acc += span(i)
		if 2*acc >= total {
			return i + 1
		}
	}
	return n - 1
}

// lowerSplitMin is the smallest file whose lowering and analysis are split:
// below it a second goroutine costs more than it saves.
const lowerSplitMin = splitMin

// lowerTop lowers the top-level statements kids into u.Top (and u.Imports,
// u.ImportPaths). It reports whether the two halves were lowered in
// parallel and used as they were.
func lowerTop(u *Unit, kids []*tnode, front func(tsLower) tsFront, cut int) bool {
	if cut == 0 {
		cut = -1
		if splitEnabled && len(u.Src) >= lowerSplitMin && spareCore() {
			cut = middle(len(kids), func(i int) int { return kids[i].end - kids[i].start })
		}
	}
	if cut == cutMiddle {
		cut = middle(len(kids), func(i int) int { return kids[i].end - kids[i].start })
	}
	f := front(tsLower{u})
	if cut <= 0 || cut >= len(kids) {
		for _, k := range kids {
			u.Top = append(u.Top, f.stmt(k)...)
		}
		return false
	}
	// The imports the first half declares, as the second half must see them.
	pre := &Unit{Lang: u.Lang, Path: u.Path, Src: u.Src, Imports: map[string]string{}}
	pf := front(tsLower{pre})
	for _, k := range kids[:cut] {
		walkImports(pf, k, 0)
	}
	u2 := &Unit{Lang: u.Lang, Path: u.Path, Src: u.Src, Imports: maps.Clone(pre.Imports)}
	f2 := front(tsLower{u2})
	var top1, top2 []*Stmt
	both(func() {
		for _, k := range kids[:cut] {
			top1 = append(top1, f.stmt(k)...)
		}
	}, func() {
		for _, k := range kids[cut:] {
			top2 = append(top2, f2.stmt(k)...)
		}
	})
	if !maps.Equal(u.Imports, pre.Imports) {
		// The second half saw other imports than the serial walk would
		// have: lower it again after the first, as the serial path does.
		for _, k := range kids[cut:] {
			top1 = append(top1, f.stmt(k)...)
		}
		u.Top = top1
		lowerRedone.Add(1)
		return false
	}
	lowerSplits.Add(1)
	u.Top = append(top1, top2...)
	u.Imports = u2.Imports
	u.ImportPaths = append(u.ImportPaths, u2.ImportPaths...)
	return true
}

// walkImports applies every import below t, in source order.
func walkImports(f tsFront, t *tnode, depth int) {
	if t == nil || depth > maxTreeDepth || f.imports(t) {
		return
	}
	for _, k := range t.kids {
		walkImports(f, k, depth+1)
	}
}

// fnTask is a function met by the module-level walk, recorded to be walked
// later as the serial walk would have walked it there: with a copy of the
// scope it was met in and of the module scope at that point, its matches
// going where the module-level matches were then (at).
type fnTask struct {
	fn            *Func
	outer, global env
	at            int
}

// lastAnalysisItems is how many functions and classes the last split
// analysis had to share between its two halves (tests).
var lastAnalysisItems atomic.Int64

// runSplit analyses the file with its functions and classes in two halves:
// first the module-level statements, recording the functions met there
// (fnTask) instead of walking them; then the recorded functions and the
// top-level functions and classes, split before item cut (0: in the middle
// by size) between two goroutines, each half walked in order by its own
// analyzer; then the matches and the first whole-body read are merged in
// the serial order, and the file-level rules run. The halves share the
// module scope and the file's functions read-only. The one thing the
// serial walk shares between functions is the set of helper arguments
// followed once per file (summary.go): when two of the module-level walk
// and the two halves followed the same one, runSplit resets a and returns
// false, and the caller analyses the file serially.
func (a *analyzer) runSplit(cut int) bool {
	a.newFollows = nil
	a.recording, a.bodyAt = true, -1
	global, deferred := a.moduleLevel()
	moduleFS := a.fs
	a.recording = false
	a.finishFunc()
	nt := len(a.tasks)
	n := nt + len(deferred)
	lastAnalysisItems.Store(int64(n))
	if cut == 0 {
		cut = middle(n, func(i int) int {
			if i < nt {
				return a.tasks[i].fn.End - a.tasks[i].fn.Off
			}
			return deferred[i-nt].End - deferred[i-nt].Off
		})
	}
	if cut < 0 || cut > n {
		cut = n
	}
	type half struct {
		b         *analyzer
		ranges    [][2]int // each item's matches in b.hits
		firstBody int      // the item that made the first whole-body read, -1
	}
	walk := func(lo, hi int) *half {
		h := &half{b: &analyzer{u: a.u, rs: a.rs, fs: moduleFS, global: global, funcs: a.funcs, methods: a.methods,
			followed: map[followKey]bool{}}, firstBody: -1}
		b := h.b
		for i := lo; i < hi; i++ {
			start, had := len(b.hits), len(b.bodyReads) > 0
			if i < nt {
				t := a.tasks[i]
				b.global = t.global
				b.function(t.fn, t.outer)
			} else {
				b.global = global
				b.stmt(deferred[i-nt], global)
			}
			h.ranges = append(h.ranges, [2]int{start, len(b.hits)})
			if !had && len(b.bodyReads) > 0 {
				h.firstBody = i
			}
		}
		return h
	}
	var h1, h2 *half
	if cut > 0 && cut < n {
		both(func() { h1 = walk(0, cut) }, func() { h2 = walk(cut, n) })
	} else {
		h1, h2 = walk(0, n), walk(n, n)
	}
	owner := map[followKey]int{}
	for who, ks := range [][]followKey{a.newFollows, h1.b.newFollows, h2.b.newFollows} {
		for _, k := range ks {
			if w, ok := owner[k]; ok && w != who {
				// Followed twice where the serial walk follows once.
				*a = analyzer{u: a.u, rs: a.rs}
				analyzeRedone.Add(1)
				return false
			}
			owner[k] = who
		}
	}
	hitsOf := func(i int) []hit {
		h := h1
		if i >= cut {
			h, i = h2, i-cut
		}
		r := h.ranges[i]
		return h.b.hits[r[0]:r[1]]
	}
	var hits []hit
	mi := 0
	for i, t := range a.tasks {
		hits = append(hits, a.hits[mi:t.at]...)
		mi = t.at
		hits = append(hits, hitsOf(i)...)
	}
	hits = append(hits, a.hits[mi:]...)
	for i := nt; i < n; i++ {
		hits = append(hits, hitsOf(i)...)
	}
	a.hits = hits
	// The first whole-body read in the serial order: item i walks at 2i+1,
	// the module-level walk's read came after bodyAt recorded functions.
	pos := -1
	if len(a.bodyReads) > 0 {
		pos = 2 * a.bodyAt
	}
	for _, h := range []*half{h1, h2} {
		if h.firstBody >= 0 && (pos < 0 || 2*h.firstBody+1 < pos) {
			a.bodyReads, pos = h.b.bodyReads, 2*h.firstBody+1
		}
	}
	a.tasks = nil
	a.fs = moduleFS
	a.global = global
	if cut > 0 && cut < n {
		analyzeSplits.Add(1)
	}
	a.fileRules()
	return true
}
