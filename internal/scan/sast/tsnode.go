package sast

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/smacker/go-tree-sitter/javascript"
	"github.com/smacker/go-tree-sitter/python"
	"github.com/smacker/go-tree-sitter/typescript/tsx"
	"github.com/smacker/go-tree-sitter/typescript/typescript"
)

// Python, JavaScript and TypeScript are parsed with tree-sitter through
// github.com/smacker/go-tree-sitter. The tree is copied once into plain Go
// values (tnode) with a cursor walk: every later look at a node is then a
// field read instead of a cgo call and an allocation.

// ErrParseBudget is returned for a file the parser could not finish within
// its time budget.
var ErrParseBudget = errors.New("parser gave up on this file")

// parseBudget is 2s plus 1s per 64 KiB: far above what real code needs
// (a 2,000-line file parses in a few milliseconds).
func parseBudget(n int) time.Duration {
	return 2*time.Second + time.Duration(n/65536)*time.Second
}

type tnode struct {
	typ        string
	field      string
	start, end int
	named      bool
	kids       []*tnode
}

func (t *tnode) child(field string) *tnode {
	for _, k := range t.kids {
		if k.field == field {
			return k
		}
	}
	return nil
}

func (t *tnode) childrenOf(field string) []*tnode {
	var out []*tnode
	for _, k := range t.kids {
		if k.field == field {
			out = append(out, k)
		}
	}
	return out
}

func (t *tnode) named1() []*tnode {
	out := make([]*tnode, 0, len(t.kids))
	for _, k := range t.kids {
		if k.named && k.typ != "comment" {
			out = append(out, k)
		}
	}
	return out
}

func (t *tnode) firstNamed() *tnode {
	for _, k := range t.kids {
		if k.named && k.typ != "comment" {
			return k
		}
	}
	return nil
}

// tsGrammar is a tree-sitter language with its symbol and field names
// cached. Each parse uses a fresh parser allocating from an arena (flat.go).
type tsGrammar struct {
	lang   *sitter.Language
	python bool // indentation-sensitive: where a file may be split differs
	names  []string
	punct  []bool // anonymous punctuation symbols, left out of the copied tree
	fields []string
}

func newGrammar(l *sitter.Language) *tsGrammar {
	g := &tsGrammar{lang: l}
	n := int(l.SymbolCount())
	g.names = make([]string, n)
	for i := 0; i < n; i++ {
		g.names[i] = l.SymbolName(sitter.Symbol(i))
	}
	g.punct = make([]bool, n)
	for i := 0; i < n; i++ {
		switch g.names[i] {
		case "(", ")", "[", "]", "{", "}", ",", ";", ".", "\"", "'", "`":
			g.punct[i] = true // dropped only where the node is anonymous
		}
	}
	g.fields = []string{""}
	for i := 1; i < 1024; i++ {
		f := l.FieldName(i)
		if f == "" {
			break
		}
		g.fields = append(g.fields, f)
	}
	return g
}

var (
	grammarOnce             sync.Once
	gPython, gJS, gTS, gTSX *tsGrammar
)

// maxTreeDepth bounds recursion over hostile input (deeply nested
// brackets); deeper subtrees are cut off, not followed.
const maxTreeDepth = 400

func grammars() {
	grammarOnce.Do(func() {
		gPython = newGrammar(python.GetLanguage())
		gPython.python = true
		gJS = newGrammar(javascript.GetLanguage())
		gTS = newGrammar(typescript.GetLanguage())
		gTSX = newGrammar(tsx.GetLanguage())
	})
}

// parse parses src and returns the copied tree.
func (g *tsGrammar) parse(ctx context.Context, src []byte) (*tnode, error) {
	t, _, err := g.parseTree(ctx, src)
	return t, err
}

// parseTree is parse that also returns the buffers holding the tree, for
// putTreeBuf once the tree is no longer used.
func (g *tsGrammar) parseTree(ctx context.Context, src []byte) (*tnode, []*treeBuf, error) {
	// A budget keeps a pathological file from stalling the parser (the
	// grammar's error recovery can loop on some garbage input).
	t, bufs, ok := g.parseMaybeSplit(ctx, src, uint64(parseBudget(len(src))/time.Microsecond))
	if !ok {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, fmt.Errorf("%w (%d bytes, budget %s)", ErrParseBudget, len(src), parseBudget(len(src)))
	}
	if t == nil {
		return nil, nil, fmt.Errorf("%w: could not copy the syntax tree", ErrParseBudget)
	}
	return t, bufs, nil
}

// tsLower is what the Python and JavaScript/TypeScript front ends share:
// the unit being built and the source text of a node.
type tsLower struct{ u *Unit }

func (l tsLower) text(t *tnode) string {
	if t == nil || t.start > t.end || t.end > len(l.u.Src) {
		return ""
	}
	return string(l.u.Src[t.start:t.end])
}

// tsFront is one front end's lowering, as lowerTS drives it.
type tsFront interface {
	// stmt lowers one statement.
	stmt(t *tnode) []*Stmt
	// imports applies what t imports to the Unit when t is an import
	// (the pre-pass of a split lowering, split.go), and reports whether t
	// was one (its children are then not visited).
	imports(t *tnode) bool
}

// lowerTS parses src with g and lowers the tree's top-level statements
// with the front end that front returns for a Unit, in two halves on two
// goroutines when the file is large and a core is free (lowerTop).
func lowerTS(ctx context.Context, path string, src []byte, lang Lang, g *tsGrammar, front func(l tsLower) tsFront, cut int) (*Unit, error) {
	root, bufs, err := g.parseTree(ctx, src)
	if err != nil {
		return nil, err
	}
	u := &Unit{Lang: lang, Path: path, Src: src, Imports: map[string]string{}}
	lowerTop(u, root.named1(), front, cut)
	// The lowered Unit holds no tnode: the tree's memory is reused.
	putTreeBuf(bufs...)
	return u, nil
}

// lowerBlock lowers each named child of t (a block or module) with stmt.
func lowerBlock(t *tnode, stmt func(*tnode) []*Stmt) []*Stmt {
	if t == nil {
		return nil
	}
	var out []*Stmt
	for _, k := range t.named1() {
		out = append(out, stmt(k)...)
	}
	return out
}
