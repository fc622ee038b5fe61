package sast

import (
	"context"
	"sync"

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

// tsGrammar is a tree-sitter language with its symbol names cached and a
// pool of parsers (a parser is not safe for concurrent use).
type tsGrammar struct {
	lang  *sitter.Language
	names []string
	pool  sync.Pool
}

func newGrammar(l *sitter.Language) *tsGrammar {
	g := &tsGrammar{lang: l}
	n := int(l.SymbolCount())
	g.names = make([]string, n)
	for i := 0; i < n; i++ {
		g.names[i] = l.SymbolName(sitter.Symbol(i))
	}
	g.pool.New = func() any {
		p := sitter.NewParser()
		p.SetLanguage(l)
		return p
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
		gJS = newGrammar(javascript.GetLanguage())
		gTS = newGrammar(typescript.GetLanguage())
		gTSX = newGrammar(tsx.GetLanguage())
	})
}

// parseTS parses src and returns the copied tree.
func (g *tsGrammar) parse(ctx context.Context, src []byte) (*tnode, error) {
	p := g.pool.Get().(*sitter.Parser)
	defer g.pool.Put(p)
	tree, err := p.ParseCtx(ctx, nil, src)
	if err != nil {
		p.Reset()
		return nil, err
	}
	defer tree.Close()
	c := sitter.NewTreeCursor(tree.RootNode())
	defer c.Close()
	return g.copy(c, 0), nil
}

func (g *tsGrammar) copy(c *sitter.TreeCursor, depth int) *tnode {
	n := c.CurrentNode()
	t := &tnode{start: int(n.StartByte()), end: int(n.EndByte()), named: n.IsNamed()}
	if s := int(n.Symbol()); s < len(g.names) {
		t.typ = g.names[s]
	}
	if n.IsMissing() {
		t.typ = "MISSING"
	}
	t.field = c.CurrentFieldName()
	if depth < maxTreeDepth && c.GoToFirstChild() {
		for {
			t.kids = append(t.kids, g.copy(c, depth+1))
			if !c.GoToNextSibling() {
				break
			}
		}
		c.GoToParent()
	}
	return t
}
