package sast

/*
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>

// The tree-sitter runtime is linked in by github.com/smacker/go-tree-sitter;
// these declarations match its api.h (language version 14).
typedef struct { uint32_t context[4]; const void *id; const void *tree; } wTSNode;
typedef struct { const void *tree; const void *id; uint32_t context[3]; } wTSTreeCursor;

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

typedef struct {
	uint32_t start, end;
	uint16_t sym, field;
	uint16_t depth;
	uint8_t named, missing;
} wflat;

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

static uint32_t warden_count(wTSNode root) { return ts_node_descendant_count(root); }
*/
import "C"

import (
	"unsafe"

	sitter "github.com/smacker/go-tree-sitter"
)

// rootOf reads the C node out of a *sitter.Node: its first field is the
// TSNode value (pinned binding version; see go.mod).
func rootOf(n *sitter.Node) C.wTSNode {
	return *(*C.wTSNode)(unsafe.Pointer(n))
}

// flatten copies the tree below n into tnodes with a single cgo call.
func (g *tsGrammar) flatten(n *sitter.Node) *tnode {
	root := rootOf(n)
	count := int(C.warden_count(root)) + 1
	buf := (*C.wflat)(C.malloc(C.size_t(count) * C.size_t(unsafe.Sizeof(C.wflat{}))))
	if buf == nil {
		return nil
	}
	defer C.free(unsafe.Pointer(buf))
	got := int(C.warden_flatten(root, buf, C.int(count), C.int(maxTreeDepth)))
	if got <= 0 {
		return nil
	}
	flat := unsafe.Slice((*C.wflat)(buf), got)
	nodes := make([]tnode, got)
	stack := make([]*tnode, 0, 64)
	for i := range flat {
		f := &flat[i]
		t := &nodes[i]
		t.start, t.end = int(f.start), int(f.end)
		t.named = f.named != 0
		if int(f.sym) < len(g.names) {
			t.typ = g.names[f.sym]
		}
		if f.missing != 0 {
			t.typ = "MISSING"
		}
		if int(f.field) < len(g.fields) {
			t.field = g.fields[f.field]
		}
		d := int(f.depth)
		if d > len(stack) {
			d = len(stack)
		}
		stack = stack[:d]
		if d > 0 {
			p := stack[d-1]
			p.kids = append(p.kids, t)
		}
		stack = append(stack, t)
	}
	return &nodes[0]
}
