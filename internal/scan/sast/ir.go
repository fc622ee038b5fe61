package sast

// The front ends (go/ast for Go, tree-sitter for Python, JavaScript and
// TypeScript) lower each file into this small, language-neutral tree. Rules
// and the taint analysis only ever see it, which is what lets one rule
// framework serve four languages: a call is a call, a keyword argument and
// an object-literal property are both a key with a value, and string building
// (concatenation, fmt.Sprintf, %-format, str.format, f-strings, template
// literals) is always a Build node whose parts are literal or not.

// Lang is a source language the engine understands.
type Lang uint8

const (
	LangGo Lang = iota + 1
	LangPython
	LangJavaScript
	LangTypeScript
)

var langNames = [...]string{"", "go", "python", "javascript", "typescript"}

func (l Lang) String() string {
	if int(l) < len(langNames) {
		return langNames[l]
	}
	return "unknown"
}

// Kind is what an expression Node is.
type Kind uint8

const (
	KOther   Kind = iota // anything else; Args holds sub-expressions
	KIdent               // Name is the identifier (after import resolution, the import path)
	KMember              // Name is the dotted path; Args[0] is the object (nil when resolved to an import)
	KIndex               // Args[0] object, Args[1] index; Name is a path when the index is a constant string
	KCall                // Name is the callee path; Args positional; Keys/Vals keyword arguments; Fun is the callee
	KStr                 // string literal; Str is its value
	KNum                 // number literal (or a value known to be numeric)
	KBool                // Str is "true" or "false"
	KNull                // nil, None, null, undefined
	KBuild               // string building; Args are the parts in order
	KObject              // object/dict/composite/JSX literal; Name is the type ("jsx:div" for JSX); Keys/Vals; Args unkeyed elements
	KArray               // Args elements
	KFunc                // Fn is the function
	KCompare             // Str is the operator; Args the two sides
	KLogic               // Str is the operator (||, &&, ??, or, and); Args the sides
	KSpread              // ...x, **x, *x; Args[0]
	KAddr                // &x (Go); Args[0]
)

// Node is an expression.
type Node struct {
	Kind Kind
	// New is set for `new X(...)` calls.
	New  bool
	Name string
	Str  string
	Args []*Node
	Keys []string
	Vals []*Node
	Fun  *Node
	Fn   *Func
	// Off and End are byte offsets into the source (lines and columns are
	// computed only for findings).
	Off, End int
}

// SKind is what a statement is.
type SKind uint8

const (
	SExpr   SKind = iota // X
	SAssign              // Lhs = Rhs (Op "=" or "+=" ...); one Rhs for many Lhs means unpacking
	SIf                  // if X { Body } else { Else }
	SBlock               // loops, try, with, switch, plain blocks: Body then Else walked in order; X is a loop's iterable, Lhs its variables
	SReturn              // return X (X may be nil)
	SExit                // raise/throw/panic/abort: ends the path
	SFunc                // a function declaration: Fn
	SClass               // a class: Class
)

// Stmt is a statement.
type Stmt struct {
	Kind SKind
	Lhs  []*Node
	Rhs  []*Node
	Op   string
	X    *Node
	Body []*Stmt
	Else []*Stmt
	Fn   *Func
	Cls  *Class
	// Loop is set on SBlock for loops (for/while/range).
	Loop bool
	Off  int
	End  int
	Line int
}

// Param is a function parameter.
type Param struct {
	Name string
	// Type is the declared type as written (Go: resolved to the import path,
	// "*net/http.Request"; Python/TS annotation text).
	Type string
	// Default is the default value (Python `= Depends(...)`), if any.
	Default *Node
	// Index is the parameter's position (destructured names share one).
	Index int
}

// Func is a function, method, lambda or arrow function.
type Func struct {
	Name       string
	Params     []Param
	Decorators []*Node
	Body       []*Stmt
	// Exported is set for `export function GET` (Next.js route handlers).
	Exported bool
	// Recv is set for a Go method: Params[0] is its receiver.
	Recv     bool
	Off, End int
	Line     int
}

// Class is a class declaration (Python and JS/TS).
type Class struct {
	Name  string
	Bases []*Node
	Body  []*Stmt
	Line  int
	Off   int
	End   int
}

// Unit is one parsed file.
type Unit struct {
	Lang Lang
	Path string
	Src  []byte
	Top  []*Stmt
	// Imports maps a local name to what it refers to: a Go import path, a
	// Python module or module.attr, a JS module or module.export.
	Imports map[string]string
	// ImportPaths lists every imported module path, in source order.
	ImportPaths []string
	// lineStarts are byte offsets of each line's start.
	lineStarts []int
}

func (u *Unit) computeLines() {
	u.lineStarts = append(u.lineStarts[:0], 0)
	for i, b := range u.Src {
		if b == '\n' {
			u.lineStarts = append(u.lineStarts, i+1)
		}
	}
}

// lineCol turns a byte offset into a 1-based line and column.
func (u *Unit) lineCol(off int) (int, int) {
	if u.lineStarts == nil {
		u.computeLines()
	}
	lo, hi := 0, len(u.lineStarts)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if u.lineStarts[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo + 1, off - u.lineStarts[lo] + 1
}

// lineText returns the text of 1-based line n without its newline.
func (u *Unit) lineText(n int) string {
	if u.lineStarts == nil {
		u.computeLines()
	}
	if n < 1 || n > len(u.lineStarts) {
		return ""
	}
	start := u.lineStarts[n-1]
	end := len(u.Src)
	if n < len(u.lineStarts) {
		end = u.lineStarts[n] - 1
	}
	if end < start {
		end = start
	}
	return string(u.Src[start:end])
}

// HasImport reports whether the file imports a module path with the given prefix.
func (u *Unit) HasImport(prefixes ...string) bool {
	for _, p := range u.ImportPaths {
		for _, want := range prefixes {
			if p == want || len(p) > len(want) && p[:len(want)] == want && (p[len(want)] == '/' || p[len(want)] == '.') {
				return true
			}
		}
	}
	return false
}

// walkNodes calls f on n and every sub-expression, pre-order, not entering
// nested functions.
func walkNodes(n *Node, f func(*Node) bool) {
	if n == nil || !f(n) {
		return
	}
	if n.Fun != nil {
		walkNodes(n.Fun, f)
	}
	for _, a := range n.Args {
		walkNodes(a, f)
	}
	for _, v := range n.Vals {
		walkNodes(v, f)
	}
}

// lastSeg is the part of a dotted path after its last dot.
func lastSeg(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '.' {
			return p[i+1:]
		}
	}
	return p
}

// kw returns the value of keyword argument / object key k, or nil.
func (n *Node) kw(k string) *Node {
	if n == nil {
		return nil
	}
	for i, key := range n.Keys {
		if key == k {
			return n.Vals[i]
		}
	}
	return nil
}

// arg returns positional argument i, or nil.
func (n *Node) arg(i int) *Node {
	if n == nil || i < 0 || i >= len(n.Args) {
		return nil
	}
	return n.Args[i]
}
