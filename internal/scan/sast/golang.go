package sast

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
)

// parseGo lowers a Go file with go/parser. go/types is not used: type
// checking needs the whole package and its imports, which a single file
// written by an agent does not have, and costs more than every rule
// together; import-resolved callees and declared parameter types give the
// rules what they need.
func parseGo(path string, src []byte) (*Unit, error) {
	fset := token.NewFileSet()
	// The first file added to a new FileSet starts at its base.
	base := fset.Base()
	f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
	if f == nil {
		return nil, err
	}
	// A file with syntax errors is still analysed as far as it parsed.
	u := &Unit{Lang: LangGo, Path: path, Src: src, Imports: map[string]string{}}
	g := &goLower{u: u, base: base}
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			continue
		}
		u.ImportPaths = append(u.ImportPaths, p)
		name := goImportName(p)
		if imp.Name != nil {
			name = imp.Name.Name
		}
		if name != "_" && name != "." {
			u.Imports[name] = p
		}
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			fn := g.funcOf(d.Name.Name, d.Recv, d.Type, d.Body, d.Pos(), d.End())
			u.Top = append(u.Top, &Stmt{Kind: SFunc, Fn: fn, Off: fn.Off, End: fn.End})
		case *ast.GenDecl:
			u.Top = append(u.Top, g.genDecl(d)...)
		}
	}
	return u, nil
}

// goImportName is the package name an import path is used by by default.
func goImportName(p string) string {
	parts := strings.Split(p, "/")
	last := parts[len(parts)-1]
	if len(parts) > 1 && len(last) > 1 && last[0] == 'v' && strings.Trim(last[1:], "0123456789") == "" {
		last = parts[len(parts)-2]
	}
	if strings.HasPrefix(p, "gopkg.in/") {
		if i := strings.Index(last, ".v"); i > 0 {
			last = last[:i]
		}
	}
	last = strings.TrimPrefix(last, "go-")
	last = strings.TrimSuffix(last, "-go")
	return strings.ReplaceAll(last, "-", "")
}

type goLower struct {
	u    *Unit
	base int
}

func (g *goLower) off(p token.Pos) int {
	o := int(p) - g.base
	if o < 0 || o > len(g.u.Src) {
		return 0
	}
	return o
}

func (g *goLower) node(k Kind, n ast.Node) *Node {
	return &Node{Kind: k, Off: g.off(n.Pos()), End: g.off(n.End())}
}

func (g *goLower) funcOf(name string, recv *ast.FieldList, ft *ast.FuncType, body *ast.BlockStmt, pos, end token.Pos) *Func {
	fn := &Func{Name: name, Off: g.off(pos), End: g.off(end), Recv: recv != nil && len(recv.List) > 0}
	add := func(fl *ast.FieldList) {
		if fl == nil {
			return
		}
		for _, field := range fl.List {
			t := g.typeString(field.Type)
			if len(field.Names) == 0 {
				fn.Params = append(fn.Params, Param{Type: t, Index: len(fn.Params)})
			}
			for _, n := range field.Names {
				fn.Params = append(fn.Params, Param{Name: n.Name, Type: t, Index: len(fn.Params)})
			}
		}
	}
	add(recv)
	if ft != nil {
		add(ft.Params)
	}
	if body != nil {
		fn.Body = g.stmts(body.List)
	}
	return fn
}

func (g *goLower) typeString(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name
	case *ast.StarExpr:
		return "*" + g.typeString(t.X)
	case *ast.SelectorExpr:
		if id, ok := t.X.(*ast.Ident); ok {
			if p, ok := g.u.Imports[id.Name]; ok {
				return p + "." + t.Sel.Name
			}
			return id.Name + "." + t.Sel.Name
		}
	case *ast.ArrayType:
		return "[]" + g.typeString(t.Elt)
	case *ast.MapType:
		return "map[" + g.typeString(t.Key) + "]" + g.typeString(t.Value)
	case *ast.InterfaceType:
		return "interface{}"
	case *ast.IndexExpr:
		return g.typeString(t.X)
	case *ast.Ellipsis:
		return "..." + g.typeString(t.Elt)
	}
	return ""
}

func (g *goLower) genDecl(d *ast.GenDecl) []*Stmt {
	var out []*Stmt
	if d.Tok != token.VAR && d.Tok != token.CONST {
		return nil
	}
	var prev []ast.Expr // a const spec without values repeats the previous list
	for _, s := range d.Specs {
		vs, ok := s.(*ast.ValueSpec)
		if !ok {
			continue
		}
		if d.Tok == token.CONST {
			if len(vs.Values) == 0 && vs.Type == nil {
				vs = &ast.ValueSpec{Names: vs.Names, Values: prev}
			}
			prev = vs.Values
		}
		st := &Stmt{Kind: SAssign, Op: "=", Off: g.off(s.Pos()), End: g.off(s.End())}
		for _, n := range vs.Names {
			id := g.node(KIdent, n)
			id.Name = n.Name
			st.Lhs = append(st.Lhs, id)
		}
		for _, v := range vs.Values {
			st.Rhs = append(st.Rhs, g.expr(v))
		}
		if len(st.Rhs) == 0 {
			// var x T: remember the declared type for rules that need it.
			t := g.typeString(vs.Type)
			if t == "" {
				continue
			}
			for range vs.Names {
				st.Rhs = append(st.Rhs, &Node{Kind: KOther, Name: t, Off: st.Off, End: st.End})
			}
		}
		out = append(out, st)
	}
	return out
}

func (g *goLower) stmts(list []ast.Stmt) []*Stmt {
	var out []*Stmt
	for _, s := range list {
		out = append(out, g.stmt(s)...)
	}
	return out
}

func (g *goLower) stmt(s ast.Stmt) []*Stmt {
	if s == nil {
		return nil
	}
	mk := func(k SKind) *Stmt { return &Stmt{Kind: k, Off: g.off(s.Pos()), End: g.off(s.End())} }
	switch s := s.(type) {
	case *ast.AssignStmt:
		st := mk(SAssign)
		st.Op = s.Tok.String()
		for _, l := range s.Lhs {
			st.Lhs = append(st.Lhs, g.expr(l))
		}
		for _, r := range s.Rhs {
			st.Rhs = append(st.Rhs, g.expr(r))
		}
		return []*Stmt{st}
	case *ast.DeclStmt:
		if gd, ok := s.Decl.(*ast.GenDecl); ok {
			return g.genDecl(gd)
		}
	case *ast.ExprStmt:
		st := mk(SExpr)
		st.X = g.expr(s.X)
		if st.X.Kind == KCall {
			switch st.X.Name {
			case "panic", "os.Exit", "log.Fatal", "log.Fatalf", "log.Fatalln", "log.Panic", "log.Panicf":
				st.Kind = SExit
			}
		}
		return []*Stmt{st}
	case *ast.ReturnStmt:
		st := mk(SReturn)
		switch len(s.Results) {
		case 0:
		case 1:
			st.X = g.expr(s.Results[0])
		default:
			x := g.node(KOther, s)
			for _, r := range s.Results {
				x.Args = append(x.Args, g.expr(r))
			}
			st.X = x
		}
		return []*Stmt{st}
	case *ast.IfStmt:
		out := g.stmt(s.Init)
		st := mk(SIf)
		st.X = g.expr(s.Cond)
		st.Body = g.stmts(s.Body.List)
		if s.Else != nil {
			st.Else = g.stmt(s.Else)
		}
		return append(out, st)
	case *ast.ForStmt:
		out := g.stmt(s.Init)
		st := mk(SBlock)
		st.Loop = true
		if s.Cond != nil {
			out = append(out, &Stmt{Kind: SExpr, X: g.expr(s.Cond)})
		}
		st.Body = append(g.stmts(s.Body.List), g.stmt(s.Post)...)
		return append(out, st)
	case *ast.RangeStmt:
		st := mk(SBlock)
		st.Loop = true
		st.X = g.expr(s.X)
		if s.Value != nil {
			st.Lhs = append(st.Lhs, g.expr(s.Value))
		}
		st.Body = g.stmts(s.Body.List)
		return []*Stmt{st}
	case *ast.SwitchStmt:
		out := g.stmt(s.Init)
		if s.Tag != nil {
			out = append(out, &Stmt{Kind: SExpr, X: g.expr(s.Tag)})
		}
		st := mk(SBlock)
		for _, c := range s.Body.List {
			if cc, ok := c.(*ast.CaseClause); ok {
				for _, e := range cc.List {
					st.Body = append(st.Body, &Stmt{Kind: SExpr, X: g.expr(e)})
				}
				st.Body = append(st.Body, &Stmt{Kind: SBlock, Body: g.stmts(cc.Body)})
			}
		}
		return append(out, st)
	case *ast.TypeSwitchStmt:
		out := g.stmt(s.Init)
		out = append(out, g.stmt(s.Assign)...)
		st := mk(SBlock)
		for _, c := range s.Body.List {
			if cc, ok := c.(*ast.CaseClause); ok {
				st.Body = append(st.Body, &Stmt{Kind: SBlock, Body: g.stmts(cc.Body)})
			}
		}
		return append(out, st)
	case *ast.SelectStmt:
		st := mk(SBlock)
		for _, c := range s.Body.List {
			if cc, ok := c.(*ast.CommClause); ok {
				st.Body = append(st.Body, g.stmt(cc.Comm)...)
				st.Body = append(st.Body, &Stmt{Kind: SBlock, Body: g.stmts(cc.Body)})
			}
		}
		return []*Stmt{st}
	case *ast.BlockStmt:
		st := mk(SBlock)
		st.Body = g.stmts(s.List)
		return []*Stmt{st}
	case *ast.LabeledStmt:
		return g.stmt(s.Stmt)
	case *ast.GoStmt:
		st := mk(SExpr)
		st.X = g.expr(s.Call)
		return []*Stmt{st}
	case *ast.DeferStmt:
		st := mk(SExpr)
		st.X = g.expr(s.Call)
		return []*Stmt{st}
	case *ast.SendStmt:
		st := mk(SExpr)
		x := g.node(KOther, s)
		x.Args = []*Node{g.expr(s.Chan), g.expr(s.Value)}
		st.X = x
		return []*Stmt{st}
	case *ast.BranchStmt:
		if s.Tok == token.CONTINUE || s.Tok == token.BREAK || s.Tok == token.GOTO {
			return []*Stmt{mk(SExit)}
		}
	}
	return nil
}

func (g *goLower) expr(e ast.Expr) *Node {
	if e == nil {
		return nil
	}
	switch e := e.(type) {
	case *ast.Ident:
		switch e.Name {
		case "nil":
			return g.node(KNull, e)
		case "true", "false":
			n := g.node(KBool, e)
			n.Str = e.Name
			return n
		case "iota":
			return g.node(KNum, e)
		}
		n := g.node(KIdent, e)
		n.Name = e.Name
		return n
	case *ast.BasicLit:
		switch e.Kind {
		case token.STRING:
			n := g.node(KStr, e)
			if v, err := strconv.Unquote(e.Value); err == nil {
				n.Str = v
			}
			return n
		default:
			n := g.node(KNum, e)
			n.Str = e.Value
			return n
		}
	case *ast.SelectorExpr:
		n := g.node(KMember, e)
		if id, ok := e.X.(*ast.Ident); ok {
			if p, ok := g.u.Imports[id.Name]; ok {
				n.Name = p + "." + e.Sel.Name
				n.Args = []*Node{nil}
				return n
			}
		}
		base := g.expr(e.X)
		n.Name = pathOf(base) + "." + e.Sel.Name
		n.Args = []*Node{base}
		return n
	case *ast.CallExpr:
		return g.call(e)
	case *ast.BinaryExpr:
		switch e.Op {
		case token.ADD:
			n := g.node(KBuild, e)
			for _, side := range []ast.Expr{e.X, e.Y} {
				x := g.expr(side)
				if x.Kind == KBuild {
					n.Args = append(n.Args, x.Args...)
				} else {
					n.Args = append(n.Args, x)
				}
			}
			return n
		case token.EQL, token.NEQ:
			n := g.node(KCompare, e)
			n.Str = e.Op.String()
			n.Args = []*Node{g.expr(e.X), g.expr(e.Y)}
			return n
		case token.LAND, token.LOR:
			n := g.node(KLogic, e)
			n.Str = e.Op.String()
			n.Args = []*Node{g.expr(e.X), g.expr(e.Y)}
			return n
		}
		n := g.node(KOther, e)
		n.Args = []*Node{g.expr(e.X), g.expr(e.Y)}
		return n
	case *ast.UnaryExpr:
		if e.Op == token.AND {
			n := g.node(KAddr, e)
			n.Args = []*Node{g.expr(e.X)}
			return n
		}
		n := g.node(KOther, e)
		n.Args = []*Node{g.expr(e.X)}
		return n
	case *ast.StarExpr:
		return g.expr(e.X)
	case *ast.ParenExpr:
		return g.expr(e.X)
	case *ast.TypeAssertExpr:
		return g.expr(e.X)
	case *ast.IndexExpr:
		n := g.node(KIndex, e)
		obj, idx := g.expr(e.X), g.expr(e.Index)
		n.Args = []*Node{obj, idx}
		if idx.Kind == KStr {
			n.Name = pathOf(obj) + "." + idx.Str
		}
		return n
	case *ast.SliceExpr:
		n := g.node(KOther, e)
		n.Args = []*Node{g.expr(e.X)}
		return n
	case *ast.CompositeLit:
		if _, ok := e.Type.(*ast.ArrayType); ok {
			n := g.node(KArray, e)
			for _, el := range e.Elts {
				n.Args = append(n.Args, g.expr(el))
			}
			n.Name = g.typeString(e.Type)
			return n
		}
		n := g.node(KObject, e)
		n.Name = g.typeString(e.Type)
		for _, el := range e.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				k := ""
				switch key := kv.Key.(type) {
				case *ast.Ident:
					k = key.Name
				case *ast.BasicLit:
					k, _ = strconv.Unquote(key.Value)
				case *ast.SelectorExpr:
					k = key.Sel.Name
				}
				n.Keys = append(n.Keys, k)
				n.Vals = append(n.Vals, g.expr(kv.Value))
				continue
			}
			n.Args = append(n.Args, g.expr(el))
		}
		return n
	case *ast.FuncLit:
		n := g.node(KFunc, e)
		n.Fn = g.funcOf("", nil, e.Type, e.Body, e.Pos(), e.End())
		return n
	case *ast.KeyValueExpr:
		n := g.node(KOther, e)
		n.Args = []*Node{g.expr(e.Value)}
		return n
	}
	n := g.node(KOther, e)
	n.Name = g.typeString(e)
	return n
}

func (g *goLower) call(e *ast.CallExpr) *Node {
	n := g.node(KCall, e)
	switch ft := e.Fun.(type) {
	case *ast.ArrayType, *ast.MapType, *ast.InterfaceType, *ast.ChanType, *ast.FuncType:
		n.Name = g.typeString(ft)
		n.Fun = g.node(KIdent, ft)
		n.Fun.Name = n.Name
	case *ast.IndexExpr:
		n.Fun = g.expr(ft.X)
		n.Name = pathOf(n.Fun)
	default:
		n.Fun = g.expr(e.Fun)
		n.Name = pathOf(n.Fun)
	}
	for _, a := range e.Args {
		n.Args = append(n.Args, g.expr(a))
	}
	switch n.Name {
	case "fmt.Sprintf", "fmt.Errorf":
		if len(n.Args) > 0 && n.Args[0].Kind == KStr {
			b := &Node{Kind: KBuild, Off: n.Off, End: n.End}
			b.Args = goFormatParts(n.Args[0], n.Args[1:])
			if n.Name == "fmt.Sprintf" {
				return b
			}
			n.Args = []*Node{b}
		}
	case "fmt.Sprint", "fmt.Sprintln", "strings.Join":
		if n.Name != "strings.Join" {
			b := &Node{Kind: KBuild, Off: n.Off, End: n.End, Args: n.Args}
			return b
		}
	}
	return n
}

// goFormatParts splits a printf format into literal parts and arguments;
// arguments printed with a numeric verb cannot inject text and become
// numbers.
func goFormatParts(format *Node, args []*Node) []*Node {
	return percentParts(format, args, percentSyntax{flags: "+-# 0123456789.*[]", numeric: "dbcoOxXeEfFgGtUp", verbInStr: true})
}
