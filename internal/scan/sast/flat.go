package sast

/*
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

// The tree-sitter runtime is linked in by github.com/smacker/go-tree-sitter;
// these declarations match its api.h (language version 14).
typedef struct { uint32_t context[4]; const void *id; const void *tree; } wTSNode;
typedef struct { const void *tree; const void *id; uint32_t context[3]; } wTSTreeCursor;
typedef struct TSParser TSParser;
typedef struct TSTree TSTree;
typedef struct TSLanguage TSLanguage;

extern wTSTreeCursor ts_tree_cursor_new(wTSNode);
extern void ts_tree_cursor_delete(wTSTreeCursor *);
extern bool ts_tree_cursor_goto_first_child(wTSTreeCursor *);
extern bool ts_tree_cursor_goto_next_sibling(wTSTreeCursor *);
extern bool ts_tree_cursor_goto_parent(wTSTreeCursor *);
extern wTSNode ts_tree_cursor_current_node(const wTSTreeCursor *);
extern uint16_t ts_tree_cursor_current_field_id(const wTSTreeCursor *);
extern uint16_t ts_node_symbol(wTSNode);
extern uint32_t ts_node_start_byte(wTSNode);
extern uint32_t ts_node_end_byte(wTSNode);
extern bool ts_node_is_named(wTSNode);
extern bool ts_node_is_missing(wTSNode);
extern uint32_t ts_node_descendant_count(wTSNode);
extern bool ts_node_has_error(wTSNode);
extern TSParser *ts_parser_new(void);
extern void ts_parser_delete(TSParser *);
extern bool ts_parser_set_language(TSParser *, const TSLanguage *);
extern void ts_parser_set_timeout_micros(TSParser *, uint64_t);
extern void ts_parser_set_cancellation_flag(TSParser *, const size_t *);
extern TSTree *ts_parser_parse_string(TSParser *, const TSTree *, const char *, uint32_t);
extern wTSNode ts_tree_root_node(const TSTree *);
extern void ts_set_allocator(void *(*)(size_t), void *(*)(size_t, size_t), void *(*)(void *, size_t), void (*)(void *));

typedef struct {
	uint32_t start, end;
	uint16_t sym, field;
	uint16_t depth;
	uint8_t named, missing;
} wflat;

// An arena serves every allocation tree-sitter makes while one file is
// parsed on this thread: allocation is a pointer bump, free is a no-op, and
// the whole tree is released at once by resetting the arena instead of
// walking it node by node (ts_tree_delete). Outside warden_parse (w_cur is
// NULL) the C library's allocator is used as before.
typedef struct wchunk { struct wchunk *next; size_t used, cap; size_t pad; } wchunk;
typedef struct { wchunk *head; size_t cancel; } warena;

static __thread warena *w_cur;

static void w_oom(size_t n) {
	fprintf(stderr, "warden: tree-sitter failed to allocate %zu bytes\n", n);
	abort();
}

static void *w_alloc(warena *a, size_t n) {
	if (n > ((size_t)1 << 40)) w_oom(n);
	size_t need = ((n + 15) & ~(size_t)15) + 16;
	wchunk *c = a->head;
	if (!c || c->used + need > c->cap) {
		size_t cap = c ? c->cap * 2 : (size_t)1 << 20;
		if (cap > ((size_t)64 << 20)) cap = (size_t)64 << 20;
		if (cap < need) cap = need;
		wchunk *nc = malloc(sizeof(wchunk) + cap);
		if (!nc) w_oom(cap);
		nc->next = c; nc->used = 0; nc->cap = cap;
		a->head = c = nc;
	}
	char *p = (char *)(c + 1) + c->used;
	c->used += need;
	*(size_t *)p = n;
	return p + 16;
}

static int w_owns(warena *a, void *p) {
	for (wchunk *c = a->head; c; c = c->next) {
		char *d = (char *)(c + 1);
		if ((char *)p >= d && (char *)p < d + c->cap) return 1;
	}
	return 0;
}

static void *w_malloc(size_t n) {
	warena *a = w_cur;
	if (!a) { void *p = malloc(n); if (!p && n) w_oom(n); return p; }
	return w_alloc(a, n);
}

static void *w_calloc(size_t k, size_t n) {
	warena *a = w_cur;
	if (!a) { void *p = calloc(k, n); if (!p && k && n) w_oom(k * n); return p; }
	if (n && k > ((size_t)1 << 40) / n) w_oom(k);
	void *p = w_alloc(a, k * n);
	memset(p, 0, k * n);
	return p;
}

static void *w_realloc(void *p, size_t n) {
	warena *a = w_cur;
	if (!a || (p && !w_owns(a, p))) { void *q = realloc(p, n); if (!q && n) w_oom(n); return q; }
	if (!p) return w_alloc(a, n);
	size_t old = *(size_t *)((char *)p - 16);
	if (n <= old) return p;
	wchunk *c = a->head;
	size_t oldr = (old + 15) & ~(size_t)15, newr = (n + 15) & ~(size_t)15;
	// The last block of the current chunk grows in place (arrays that grow
	// while nothing else is allocated).
	if ((char *)p + oldr == (char *)(c + 1) + c->used && c->used - oldr + newr <= c->cap) {
		c->used = c->used - oldr + newr;
		*(size_t *)((char *)p - 16) = n;
		return p;
	}
	void *q = w_alloc(a, n);
	memcpy(q, p, old);
	return q;
}

static void w_free(void *p) {
	warena *a = w_cur;
	if (!p) return;
	if (a && w_owns(a, p)) return;
	free(p);
}

static void warden_init_alloc(void) { ts_set_allocator(w_malloc, w_calloc, w_realloc, w_free); }

static warena *warden_arena_new(void) { return calloc(1, sizeof(warena)); }

// warden_arena_reset releases what one parse allocated, keeping the newest
// chunk (up to keep bytes) for the next file.
static void warden_arena_reset(warena *a, size_t keep) {
	wchunk *c = a->head;
	if (!c) return;
	wchunk *rest = c->next;
	if (c->cap > keep) { rest = c; a->head = NULL; }
	else { c->next = NULL; c->used = 0; }
	while (rest) { wchunk *n = rest->next; free(rest); rest = n; }
	a->cancel = 0;
}

static void warden_arena_free(warena *a) { warden_arena_reset(a, 0); free(a); }

// warden_flatten writes the tree below root in pre-order, one call for the
// whole tree instead of several cgo calls per node. It returns the number
// of nodes written, or -1 when cap is too small. Subtrees deeper than
// maxdepth are cut off.
static int warden_flatten(wTSNode root, wflat *out, int cap, int maxdepth) {
	wTSTreeCursor c = ts_tree_cursor_new(root);
	int n = 0, depth = 0;
	for (;;) {
		if (n >= cap) { ts_tree_cursor_delete(&c); return -1; }
		wTSNode x = ts_tree_cursor_current_node(&c);
		out[n].start = ts_node_start_byte(x);
		out[n].end = ts_node_end_byte(x);
		out[n].sym = ts_node_symbol(x);
		out[n].field = ts_tree_cursor_current_field_id(&c);
		out[n].depth = (uint16_t)depth;
		out[n].named = ts_node_is_named(x);
		out[n].missing = ts_node_is_missing(x);
		n++;
		if (depth < maxdepth && ts_tree_cursor_goto_first_child(&c)) { depth++; continue; }
		for (;;) {
			if (ts_tree_cursor_goto_next_sibling(&c)) break;
			if (depth == 0 || !ts_tree_cursor_goto_parent(&c)) { ts_tree_cursor_delete(&c); return n; }
			depth--;
		}
	}
}

typedef struct { wflat *nodes; int n; int err; int64_t cpu; } wresult;

static int64_t w_thread_cpu(void) {
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// warden_parse parses src with a fresh parser whose every allocation comes
// from the arena, and flattens the tree into the arena. n is the number of
// nodes, 0 when the parser gave up (timeout or cancellation) and -1 when
// the tree could not be copied; err is set when the tree holds an ERROR or
// MISSING node; cpu is the thread's CPU time for the call in nanoseconds. The caller copies the nodes out, then
// resets the arena; the tree is never deleted node by node.
static wresult warden_parse(warena *a, const TSLanguage *lang, const char *src, uint32_t len, uint64_t timeout, int maxdepth) {
	wresult r = {NULL, 0, 0, 0};
	int64_t t0 = w_thread_cpu();
	w_cur = a;
	TSParser *p = ts_parser_new();
	ts_parser_set_language(p, lang);
	ts_parser_set_timeout_micros(p, timeout);
	ts_parser_set_cancellation_flag(p, &a->cancel);
	TSTree *t = ts_parser_parse_string(p, NULL, src, len);
	if (t) {
		wTSNode root = ts_tree_root_node(t);
		r.err = ts_node_has_error(root);
		uint32_t count = ts_node_descendant_count(root) + 1;
		r.nodes = w_alloc(a, (size_t)count * sizeof(wflat));
		r.n = warden_flatten(root, r.nodes, (int)count, maxdepth);
		if (r.n == 0) r.n = -1;
	}
	ts_parser_delete(p);
	w_cur = NULL;
	r.cpu = w_thread_cpu() - t0;
	return r;
}
*/
import "C"

import (
	"context"
	"sync"
	"sync/atomic"
	"unsafe"

	sitter "github.com/smacker/go-tree-sitter"
)

// langPtr reads the C language out of a *sitter.Language: its only field is
// the TSLanguage pointer (pinned binding version; see go.mod).
func langPtr(l *sitter.Language) *C.TSLanguage {
	return (*C.TSLanguage)(*(*unsafe.Pointer)(unsafe.Pointer(l)))
}

// arenaKeep is how much of an arena is kept for the next file: enough for
// files of a few thousand lines, so the agent guard's files and most of a
// tree's files need no new chunk.
const arenaKeep = 8 << 20

// arenas is a free list of C arenas, one per parse in flight. It is not a
// sync.Pool: that would drop arenas at a GC without freeing their C memory.
var arenas struct {
	sync.Mutex
	once sync.Once
	free []*C.warena
}

func getArena() *C.warena {
	arenas.once.Do(func() { C.warden_init_alloc() })
	arenas.Lock()
	defer arenas.Unlock()
	if n := len(arenas.free); n > 0 {
		a := arenas.free[n-1]
		arenas.free = arenas.free[:n-1]
		return a
	}
	return C.warden_arena_new()
}

func putArena(a *C.warena) {
	C.warden_arena_reset(a, arenaKeep)
	arenas.Lock()
	defer arenas.Unlock()
	if len(arenas.free) < 16 {
		arenas.free = append(arenas.free, a)
		return
	}
	C.warden_arena_free(a)
}

// parseFlat parses src and copies the tree into tnodes, adding off to every
// offset. It returns nil with ok false when the parser gave up (budget or
// ctx), nil with ok true when the tree could not be copied; hasErr says the
// tree holds syntax errors.
func (g *tsGrammar) parseFlat(ctx context.Context, src []byte, off int, budgetMicros uint64) (root *tnode, hasErr, ok bool) {
	root, _, hasErr, ok, _ = g.parseFlatCPU(ctx, src, off, budgetMicros)
	return root, hasErr, ok
}

// parseFlatCPU is parseFlat that also returns the buffer holding the tree
// (for putTreeBuf) and the parse's CPU time (ns).
func (g *tsGrammar) parseFlatCPU(ctx context.Context, src []byte, off int, budgetMicros uint64) (root *tnode, buf *treeBuf, hasErr, ok bool, cpu int64) {
	a := getArena()
	defer putArena(a)
	if ctx.Done() != nil {
		done, exited := make(chan struct{}), make(chan struct{})
		flag := (*uintptr)(unsafe.Pointer(&a.cancel))
		go func() {
			defer close(exited)
			select {
			case <-ctx.Done():
				atomic.StoreUintptr(flag, 1)
			case <-done:
			}
		}()
		// The watcher is gone before the arena goes back to the pool, so a
		// late cancellation cannot stop the next file's parse.
		defer func() { close(done); <-exited }()
	}
	var p *C.char
	if len(src) > 0 {
		p = (*C.char)(unsafe.Pointer(&src[0]))
	}
	// src is only read during the call and holds no Go pointers.
	r := C.warden_parse(a, langPtr(g.lang), p, C.uint32_t(len(src)), C.uint64_t(budgetMicros), C.int(maxTreeDepth))
	cpu = int64(r.cpu)
	if r.n == 0 {
		return nil, nil, false, false, cpu
	}
	if r.n < 0 {
		return nil, nil, r.err != 0, true, cpu
	}
	buf = getTreeBuf()
	return g.copyTree(unsafe.Slice(r.nodes, int(r.n)), off, buf), buf, r.err != 0, true, cpu
}

// treeBuf holds one copied tree. Nothing keeps a tnode once the tree is
// lowered, so lowerTS hands the buffer back (putTreeBuf) and the next file
// reuses its memory instead of allocating a tree's worth of nodes again (a
// third of what checking a file allocated). A buffer that is not handed
// back is garbage-collected as usual.
type treeBuf struct {
	idx, parent, nkids []int32
	nodes              []tnode
	kids               []*tnode
}

var treeBufs = sync.Pool{New: func() any { return new(treeBuf) }}

func getTreeBuf() *treeBuf { return treeBufs.Get().(*treeBuf) }

// putTreeBuf returns buffers whose trees are no longer used; nil is ignored.
func putTreeBuf(bufs ...*treeBuf) {
	for _, b := range bufs {
		if b != nil {
			treeBufs.Put(b)
		}
	}
}

// grow returns s resliced to n elements, reallocated when too small (the
// old contents are not kept).
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/4)
	}
	return s[:n]
}

// copyTree builds tnodes from the flat pre-order list: one slice of nodes
// and one slice of child pointers shared by all parents. Punctuation leaves
// ("(", ",", ";"...: a third to a half of all nodes) are left out: the
// lowering never looks at them, and every other node keeps its place.
func (g *tsGrammar) copyTree(flat []C.wflat, off int, buf *treeBuf) *tnode {
	// First pass: which nodes are kept, and each kept node's kept parent,
	// to size the children slices.
	buf.idx = grow(buf.idx, len(flat))
	idx := buf.idx // flat index -> node index, -1 if dropped
	buf.parent = grow(buf.parent, len(flat))
	parent := buf.parent[:0]
	stack := make([]int32, 0, 64) // node indexes by depth
	n := 0
	for i := range flat {
		f := &flat[i]
		d := int(f.depth)
		if d > len(stack) {
			d = len(stack)
		}
		stack = stack[:d]
		leaf := i+1 == len(flat) || int(flat[i+1].depth) <= int(f.depth)
		if i > 0 && leaf && f.named == 0 && f.field == 0 && f.missing == 0 && int(f.sym) < len(g.punct) && g.punct[f.sym] {
			idx[i] = -1
			// Keep the stack's shape: a dropped leaf has no children.
			stack = append(stack, -1)
			continue
		}
		p := int32(-1)
		if d > 0 {
			p = stack[d-1]
		}
		idx[i] = int32(n)
		parent = append(parent, p)
		stack = append(stack, int32(n))
		n++
	}
	buf.nodes = grow(buf.nodes, n)
	nodes := buf.nodes
	buf.nkids = grow(buf.nkids, n)
	nkids := buf.nkids
	clear(nkids)
	for _, p := range parent {
		if p >= 0 {
			nkids[p]++
		}
	}
	buf.kids = grow(buf.kids, n)
	kids := buf.kids
	next := 0
	for i := range flat {
		j := idx[i]
		if j < 0 {
			continue
		}
		f := &flat[i]
		t := &nodes[j]
		// Every field is set: the buffer may hold a previous file's tree.
		*t = tnode{start: int(f.start) + off, end: int(f.end) + off, named: f.named != 0}
		if int(f.sym) < len(g.names) {
			t.typ = g.names[f.sym]
		}
		if f.missing != 0 {
			t.typ = "MISSING"
		}
		if int(f.field) < len(g.fields) {
			t.field = g.fields[f.field]
		}
		if k := int(nkids[j]); k > 0 {
			t.kids = kids[next : next : next+k]
			next += k
		}
		if p := parent[j]; p >= 0 {
			nodes[p].kids = append(nodes[p].kids, t)
		}
	}
	return &nodes[0]
}

// threadCPU is the calling thread's CPU time in nanoseconds (benchmarks).
func threadCPU() int64 { return int64(C.w_thread_cpu()) }
