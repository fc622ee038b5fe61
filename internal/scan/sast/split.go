package sast

import (
	"context"
	"runtime"
	"sync/atomic"
)

// Parsing is most of the time one file takes (tree-sitter parses about
// 3-4 MB/s), and the agent guard checks one file at a time, so a large file
// is parsed in two halves on two cores when a core is free. The halves are
// cut at a line that can only start a top-level statement, and the result is
// used only when both halves parse without a syntax error; otherwise the
// whole file is parsed as one. The merged tree is the whole file's tree:
// TestSplitParseSameTree compares the two for every corpus file.

// splitMin is the smallest file worth splitting: below it the second
// goroutine and parser cost more than they save.
const splitMin = 24 << 10

// parsing counts parses in flight; a file is split only while fewer parses
// than cores are running (a tree scan already keeps every core busy).
var parsing atomic.Int32

// splitEnabled is false in tests that compare split and whole parses.
var splitEnabled = true

// lastSplitCPU is the CPU time of the last split parse's two halves in C
// (nanoseconds), for the benchmark that estimates a file's time on idle
// cores from CPU times.
var lastSplitCPU [2]atomic.Int64

// The buffers returned hold the tree (putTreeBuf).
func (g *tsGrammar) parseMaybeSplit(ctx context.Context, src []byte, budget uint64) (root *tnode, bufs []*treeBuf, ok bool) {
	n := parsing.Add(1)
	defer parsing.Add(-1)
	if splitEnabled && len(src) >= splitMin && int(n) < runtime.GOMAXPROCS(0) {
		if at := splitPoint(src, g.python); at > 0 {
			if t, bufs, ok := g.parseSplitBufs(ctx, src, at, budget); ok {
				return t, bufs, true
			}
		}
	}
	t, buf, _, ok, _ := g.parseFlatCPU(ctx, src, 0, budget)
	return t, []*treeBuf{buf}, ok
}

// parseSplit parses src[:at] on another goroutine and src[at:] on this one,
// and joins the two trees. ok is false when either half has a syntax error
// or could not be parsed; the caller then parses the whole file.
func (g *tsGrammar) parseSplit(ctx context.Context, src []byte, at int, budget uint64) (*tnode, bool) {
	t, _, ok := g.parseSplitBufs(ctx, src, at, budget)
	return t, ok
}

// parseSplitBufs is parseSplit that also returns the buffers holding the
// tree.
func (g *tsGrammar) parseSplitBufs(ctx context.Context, src []byte, at int, budget uint64) (*tnode, []*treeBuf, bool) {
	type half struct {
		t       *tnode
		buf     *treeBuf
		err, ok bool
	}
	first := make(chan half, 1)
	go func() {
		t, buf, e, ok, cpu := g.parseFlatCPU(ctx, src[:at], 0, budget)
		lastSplitCPU[0].Store(cpu)
		first <- half{t: t, buf: buf, err: e, ok: ok}
	}()
	bt, bbuf, be, bok, cpu := g.parseFlatCPU(ctx, src[at:], at, budget)
	lastSplitCPU[1].Store(cpu)
	a := <-first
	if !a.ok || !bok || a.err || be || a.t == nil || bt == nil || a.t.typ != bt.typ {
		putTreeBuf(a.buf, bbuf)
		return nil, nil, false
	}
	root := *a.t
	root.kids = make([]*tnode, 0, len(a.t.kids)+len(bt.kids))
	root.kids = append(root.kids, a.t.kids...)
	root.kids = append(root.kids, bt.kids...)
	root.end = bt.end
	if len(a.t.kids) == 0 {
		root.start = bt.start
	}
	return &root, []*treeBuf{a.buf, bbuf}, true
}

// splitPoint returns the offset of a line near the middle of src that can
// only begin a top-level statement: it starts in column 0 with a letter,
// '_', '$' or '@', follows a blank line, and the last non-blank line before
// it ends a statement (for JavaScript and TypeScript: ';' or '}'). It
// returns 0 when there is none in the middle half of the file. A cut inside
// a string, comment, template or bracket leaves an unterminated construct
// in one half, which the parser reports as an error, so parseSplit falls
// back to the whole file.
func splitPoint(src []byte, python bool) int {
	mid := len(src) / 2
	for d := 0; d < len(src)/4; d++ {
		// Look forward and backward from the middle.
		if i := mid + d; i < len(src) && splitAt(src, i, python) {
			return i
		}
		if i := mid - d; i > 0 && splitAt(src, i, python) {
			return i
		}
	}
	return 0
}

var (
	pyContinuations = map[string]bool{"else": true, "elif": true, "except": true, "finally": true, "case": true,
		"and": true, "or": true, "not": true, "in": true, "is": true, "if": true, "for": true, "as": true, "from": true}
	jsContinuations = map[string]bool{"else": true, "catch": true, "finally": true, "while": true, "in": true,
		"instanceof": true, "as": true, "satisfies": true, "extends": true, "implements": true, "of": true, "from": true}
)

// splitAt reports whether src may be cut before offset i (see splitPoint).
func splitAt(src []byte, i int, python bool) bool {
	if i < 2 || i >= len(src) || src[i-1] != '\n' {
		return false
	}
	c := src[i]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '@' || (!python && c == '$')) {
		return false
	}
	// A word that continues the statement before it (a clause such as
	// else/except, or an infix keyword) would parse on its own as something
	// else without an error (`else: pass` is an annotated assignment in
	// Python): never cut before one.
	w := i
	for w < len(src) && (src[w] >= 'a' && src[w] <= 'z' || src[w] >= 'A' && src[w] <= 'Z' || src[w] >= '0' && src[w] <= '9' || src[w] == '_' || src[w] == '$') {
		w++
	}
	words := jsContinuations
	if python {
		words = pyContinuations
	}
	if words[string(src[i:w])] {
		return false
	}
	// The previous line is blank.
	j := i - 2
	for j >= 0 && (src[j] == ' ' || src[j] == '\t' || src[j] == '\r') {
		j--
	}
	if j < 0 || src[j] != '\n' {
		return false
	}
	// The last non-blank character before it.
	for j >= 0 && (src[j] == ' ' || src[j] == '\t' || src[j] == '\r' || src[j] == '\n') {
		j--
	}
	if j < 0 {
		return false
	}
	if python {
		return src[j] != '\\' && src[j] != ':' && src[j] != ','
	}
	return src[j] == ';' || src[j] == '}'
}
