package sast

import (
	"context"
	"strings"
)

func parsePython(ctx context.Context, path string, src []byte, cut int) (*Unit, error) {
	grammars()
	return lowerTS(ctx, path, src, LangPython, gPython, func(l tsLower) tsFront { return &pyLower{l} }, cut)
}

func (p *pyLower) imports(t *tnode) bool {
	switch t.typ {
	case "import_statement", "import_from_statement":
		p.stmt(t)
		return true
	}
	return false
}

type pyLower struct{ tsLower }

func (p *pyLower) node(k Kind, t *tnode) *Node { return &Node{Kind: k, Off: t.start, End: t.end} }

func (p *pyLower) block(t *tnode) []*Stmt { return lowerBlock(t, p.stmt) }

func (p *pyLower) stmt(t *tnode) []*Stmt {
	mk := func(k SKind) *Stmt { return &Stmt{Kind: k, Off: t.start, End: t.end} }
	switch t.typ {
	case "expression_statement":
		var out []*Stmt
		for _, k := range t.named1() {
			out = append(out, p.exprStmt(k, t)...)
		}
		return out
	case "if_statement", "elif_clause":
		st := mk(SIf)
		st.X = p.expr(t.child("condition"))
		st.Body = p.block(t.child("consequence"))
		for _, alt := range t.childrenOf("alternative") {
			if alt.typ == "else_clause" {
				st.Else = append(st.Else, p.block(alt.child("body"))...)
			} else {
				st.Else = append(st.Else, p.stmt(alt)...)
			}
		}
		return []*Stmt{st}
	case "for_statement":
		st := mk(SBlock)
		st.Loop = true
		st.X = p.expr(t.child("right"))
		st.Lhs = []*Node{p.expr(t.child("left"))}
		st.Body = p.block(t.child("body"))
		if alt := t.child("alternative"); alt != nil {
			st.Else = p.block(alt.child("body"))
		}
		return []*Stmt{st}
	case "while_statement":
		st := mk(SBlock)
		st.Loop = true
		st.Body = append([]*Stmt{{Kind: SExpr, X: p.expr(t.child("condition"))}}, p.block(t.child("body"))...)
		return []*Stmt{st}
	case "try_statement":
		st := mk(SBlock)
		st.Body = p.block(t.child("body"))
		for _, k := range t.named1() {
			switch k.typ {
			case "except_clause", "except_group_clause", "finally_clause", "else_clause":
				for _, kk := range k.named1() {
					if kk.typ == "block" {
						st.Else = append(st.Else, &Stmt{Kind: SBlock, Body: p.block(kk)})
					}
				}
			}
		}
		return []*Stmt{st}
	case "with_statement":
		st := mk(SBlock)
		if wc := t.firstNamed(); wc != nil && wc.typ == "with_clause" {
			for _, item := range wc.named1() {
				v := item.child("value")
				if v == nil {
					continue
				}
				if v.typ == "as_pattern" {
					kids := v.named1()
					if len(kids) >= 2 {
						st.Body = append(st.Body, &Stmt{Kind: SAssign, Op: "=", Lhs: []*Node{p.expr(kids[len(kids)-1].firstNamedOr())}, Rhs: []*Node{p.expr(kids[0])}, Off: v.start, End: v.end})
						continue
					}
				}
				st.Body = append(st.Body, &Stmt{Kind: SExpr, X: p.expr(v)})
			}
		}
		st.Body = append(st.Body, p.block(t.child("body"))...)
		return []*Stmt{st}
	case "match_statement":
		st := mk(SBlock)
		st.Body = []*Stmt{{Kind: SExpr, X: p.expr(t.child("subject"))}}
		for _, k := range t.named1() {
			if k.typ == "block" {
				for _, c := range k.named1() {
					if b := c.child("consequence"); b != nil {
						st.Body = append(st.Body, &Stmt{Kind: SBlock, Body: p.block(b)})
					}
				}
			}
		}
		return []*Stmt{st}
	case "function_definition":
		fn := p.function(t, nil)
		return []*Stmt{{Kind: SFunc, Fn: fn, Off: t.start, End: t.end}}
	case "decorated_definition":
		var decs []*Node
		for _, k := range t.named1() {
			if k.typ == "decorator" {
				if e := k.firstNamed(); e != nil {
					decs = append(decs, p.expr(e))
				}
			}
		}
		def := t.child("definition")
		if def == nil {
			return nil
		}
		if def.typ == "function_definition" {
			fn := p.function(def, decs)
			return []*Stmt{{Kind: SFunc, Fn: fn, Off: t.start, End: t.end}}
		}
		out := p.stmt(def)
		for _, d := range decs {
			out = append(out, &Stmt{Kind: SExpr, X: d})
		}
		return out
	case "class_definition":
		cl := &Class{Name: p.text(t.child("name")), Off: t.start, End: t.end}
		if sc := t.child("superclasses"); sc != nil {
			for _, b := range sc.named1() {
				cl.Bases = append(cl.Bases, p.expr(b))
			}
		}
		cl.Body = p.block(t.child("body"))
		return []*Stmt{{Kind: SClass, Cls: cl, Off: t.start, End: t.end}}
	case "return_statement":
		st := mk(SReturn)
		if k := t.firstNamed(); k != nil {
			st.X = p.expr(k)
		}
		return []*Stmt{st}
	case "raise_statement", "continue_statement", "break_statement":
		st := mk(SExit)
		if k := t.firstNamed(); k != nil {
			st.X = p.expr(k)
		}
		return []*Stmt{st}
	case "import_statement":
		for _, k := range t.named1() {
			switch k.typ {
			case "dotted_name":
				name := p.text(k)
				p.u.ImportPaths = append(p.u.ImportPaths, name)
				root := strings.SplitN(name, ".", 2)[0]
				p.u.Imports[root] = root
			case "aliased_import":
				name := p.text(k.child("name"))
				p.u.ImportPaths = append(p.u.ImportPaths, name)
				p.u.Imports[p.text(k.child("alias"))] = name
			}
		}
		return nil
	case "import_from_statement":
		mod := p.text(t.child("module_name"))
		p.u.ImportPaths = append(p.u.ImportPaths, mod)
		for _, k := range t.childrenOf("name") {
			switch k.typ {
			case "dotted_name":
				n := p.text(k)
				p.u.Imports[n] = mod + "." + n
			case "aliased_import":
				p.u.Imports[p.text(k.child("alias"))] = mod + "." + p.text(k.child("name"))
			}
		}
		return nil
	case "assert_statement", "delete_statement", "print_statement", "exec_statement":
		st := mk(SExpr)
		x := p.node(KOther, t)
		for _, k := range t.named1() {
			x.Args = append(x.Args, p.expr(k))
		}
		st.X = x
		return []*Stmt{st}
	case "block", "module":
		return p.block(t)
	}
	return nil
}

func (t *tnode) firstNamedOr() *tnode {
	if f := t.firstNamed(); f != nil && t.typ == "as_pattern_target" {
		return f
	}
	return t
}

func (p *pyLower) exprStmt(k, parent *tnode) []*Stmt {
	switch k.typ {
	case "assignment":
		return p.assignment(k)
	case "augmented_assignment":
		op := ""
		for _, c := range k.kids {
			if !c.named {
				op = p.text(c)
			}
		}
		return []*Stmt{{Kind: SAssign, Op: op, Lhs: []*Node{p.expr(k.child("left"))}, Rhs: []*Node{p.expr(k.child("right"))}, Off: k.start, End: k.end}}
	}
	return []*Stmt{{Kind: SExpr, X: p.expr(k), Off: parent.start, End: parent.end}}
}

func (p *pyLower) assignment(k *tnode) []*Stmt {
	right := k.child("right")
	left := k.child("left")
	if right == nil {
		return nil
	}
	var out []*Stmt
	var rhs *Node
	if right.typ == "assignment" {
		// a = b = value
		out = p.assignment(right)
		rhs = p.expr(right.child("left"))
	} else {
		rhs = p.expr(right)
	}
	st := &Stmt{Kind: SAssign, Op: "=", Off: k.start, End: k.end, Rhs: []*Node{rhs}}
	if left != nil && (left.typ == "pattern_list" || left.typ == "tuple_pattern" || left.typ == "list_pattern") {
		for _, l := range left.named1() {
			st.Lhs = append(st.Lhs, p.expr(l))
		}
		if rhs.Kind == KArray && len(rhs.Args) == len(st.Lhs) {
			st.Rhs = rhs.Args
		}
	} else if left != nil {
		st.Lhs = []*Node{p.expr(left)}
	}
	return append(out, st)
}

func (p *pyLower) function(t *tnode, decs []*Node) *Func {
	fn := &Func{Name: p.text(t.child("name")), Decorators: decs, Off: t.start, End: t.end}
	if ps := t.child("parameters"); ps != nil {
		for _, prm := range ps.named1() {
			par := Param{Index: len(fn.Params)}
			switch prm.typ {
			case "identifier":
				par.Name = p.text(prm)
			case "typed_parameter":
				if id := prm.firstNamed(); id != nil {
					par.Name = p.text(id)
				}
				par.Type = p.text(prm.child("type"))
			case "default_parameter":
				par.Name = p.text(prm.child("name"))
				par.Default = p.expr(prm.child("value"))
			case "typed_default_parameter":
				par.Name = p.text(prm.child("name"))
				par.Type = p.text(prm.child("type"))
				par.Default = p.expr(prm.child("value"))
			default:
				continue
			}
			fn.Params = append(fn.Params, par)
		}
	}
	fn.Body = p.block(t.child("body"))
	return fn
}

func (p *pyLower) resolve(name string) string {
	if name == "" {
		return name
	}
	head, rest, dotted := strings.Cut(name, ".")
	if imp, ok := p.u.Imports[head]; ok {
		if dotted {
			return imp + "." + rest
		}
		return imp
	}
	return name
}

func (p *pyLower) strValue(t *tnode) (string, []*Node, bool) {
	var b strings.Builder
	var parts []*Node
	interp := false
	for _, k := range t.kids {
		switch k.typ {
		case "string_content", "escape_sequence":
			b.WriteString(p.text(k))
		case "interpolation":
			interp = true
			if b.Len() > 0 {
				parts = append(parts, &Node{Kind: KStr, Str: b.String(), Off: k.start, End: k.start})
				b.Reset()
			}
			if e := k.child("expression"); e != nil {
				parts = append(parts, p.expr(e))
			} else if e := k.firstNamed(); e != nil {
				parts = append(parts, p.expr(e))
			}
		}
	}
	if b.Len() > 0 {
		parts = append(parts, &Node{Kind: KStr, Str: b.String(), Off: t.start, End: t.end})
	}
	return b.String(), parts, interp
}

func (p *pyLower) expr(t *tnode) *Node {
	if t == nil {
		return nil
	}
	switch t.typ {
	case "identifier":
		n := p.node(KIdent, t)
		n.Name = p.resolve(p.text(t))
		return n
	case "true", "false":
		n := p.node(KBool, t)
		n.Str = t.typ
		return n
	case "none":
		return p.node(KNull, t)
	case "integer", "float":
		n := p.node(KNum, t)
		n.Str = p.text(t)
		return n
	case "string":
		s, parts, interp := p.strValue(t)
		if interp {
			n := p.node(KBuild, t)
			n.Args = parts
			return n
		}
		n := p.node(KStr, t)
		n.Str = s
		return n
	case "concatenated_string":
		n := p.node(KBuild, t)
		allConst := true
		var sb strings.Builder
		for _, k := range t.named1() {
			x := p.expr(k)
			if x.Kind == KBuild {
				allConst = false
				n.Args = append(n.Args, x.Args...)
			} else {
				n.Args = append(n.Args, x)
				sb.WriteString(x.Str)
			}
		}
		if allConst {
			s := p.node(KStr, t)
			s.Str = sb.String()
			return s
		}
		return n
	case "attribute":
		n := p.node(KMember, t)
		base := p.expr(t.child("object"))
		attr := p.text(t.child("attribute"))
		if base == nil {
			return p.node(KOther, t)
		}
		n.Name = pathOf(base) + "." + attr
		n.Args = []*Node{base}
		if base.Kind == KIdent && base.Name != p.text(t.child("object")) {
			// Resolved through an import: the object is the module.
			n.Args = []*Node{nil}
		}
		return n
	case "subscript":
		n := p.node(KIndex, t)
		obj := p.expr(t.child("value"))
		idx := p.expr(t.child("subscript"))
		n.Args = []*Node{obj, idx}
		if idx != nil && idx.Kind == KStr && obj != nil {
			n.Name = pathOf(obj) + "." + idx.Str
		}
		return n
	case "call":
		return p.call(t)
	case "binary_operator":
		op := p.text(t.child("operator"))
		l, r := p.expr(t.child("left")), p.expr(t.child("right"))
		switch op {
		case "+":
			return concat(p.node(KBuild, t), l, r)
		case "%":
			if l != nil && l.Kind == KStr {
				n := p.node(KBuild, t)
				var args []*Node
				if r != nil && (r.Kind == KArray) {
					args = r.Args
				} else if r != nil && r.Kind == KObject {
					args = r.Vals
				} else if r != nil {
					args = []*Node{r}
				}
				n.Args = pyPercentParts(l, args)
				return n
			}
		}
		n := p.node(KOther, t)
		n.Args = []*Node{l, r}
		return n
	case "comparison_operator":
		n := p.node(KCompare, t)
		var ops []string
		for _, k := range t.kids {
			if !k.named {
				ops = append(ops, p.text(k))
			} else {
				n.Args = append(n.Args, p.expr(k))
			}
		}
		n.Str = strings.Join(ops, " ")
		return n
	case "boolean_operator":
		n := p.node(KLogic, t)
		n.Str = p.text(t.child("operator"))
		n.Args = []*Node{p.expr(t.child("left")), p.expr(t.child("right"))}
		return n
	case "parenthesized_expression", "await", "expression_statement":
		if k := t.firstNamed(); k != nil {
			return p.expr(k)
		}
	case "list", "tuple", "set", "expression_list", "pattern_list", "tuple_pattern", "list_pattern":
		n := p.node(KArray, t)
		for _, k := range t.named1() {
			n.Args = append(n.Args, p.expr(k))
		}
		return n
	case "dictionary":
		n := p.node(KObject, t)
		for _, k := range t.named1() {
			switch k.typ {
			case "pair":
				key := p.expr(k.child("key"))
				ks := "?"
				if key != nil && key.Kind == KStr {
					ks = key.Str
				}
				n.Keys = append(n.Keys, ks)
				n.Vals = append(n.Vals, p.expr(k.child("value")))
			case "dictionary_splat":
				s := p.node(KSpread, k)
				s.Args = []*Node{p.expr(k.firstNamed())}
				n.Args = append(n.Args, s)
			}
		}
		return n
	case "lambda":
		n := p.node(KFunc, t)
		fn := &Func{Name: "lambda", Off: t.start, End: t.end}
		if ps := t.child("parameters"); ps != nil {
			for _, prm := range ps.named1() {
				if prm.typ == "identifier" {
					fn.Params = append(fn.Params, Param{Name: p.text(prm), Index: len(fn.Params)})
				}
			}
		}
		fn.Body = []*Stmt{{Kind: SReturn, X: p.expr(t.child("body"))}}
		n.Fn = fn
		return n
	case "list_splat", "dictionary_splat", "list_splat_pattern":
		n := p.node(KSpread, t)
		n.Args = []*Node{p.expr(t.firstNamed())}
		return n
	case "keyword_argument":
		return p.expr(t.child("value"))
	}
	n := p.node(KOther, t)
	for _, k := range t.named1() {
		n.Args = append(n.Args, p.expr(k))
	}
	return n
}

func (p *pyLower) call(t *tnode) *Node {
	n := p.node(KCall, t)
	fn := t.child("function")
	n.Fun = p.expr(fn)
	if n.Fun == nil {
		return p.node(KOther, t)
	}
	n.Name = pathOf(n.Fun)
	if args := t.child("arguments"); args != nil {
		for _, a := range args.named1() {
			if a.typ == "keyword_argument" {
				n.Keys = append(n.Keys, p.text(a.child("name")))
				n.Vals = append(n.Vals, p.expr(a.child("value")))
				continue
			}
			n.Args = append(n.Args, p.expr(a))
		}
	}
	// "...".format(...) is string building.
	if n.Fun.Kind == KMember && lastSeg(n.Name) == "format" && len(n.Fun.Args) > 0 && n.Fun.Args[0] != nil && n.Fun.Args[0].Kind == KStr {
		b := p.node(KBuild, t)
		b.Args = append([]*Node{n.Fun.Args[0]}, n.Args...)
		b.Args = append(b.Args, n.Vals...)
		return b
	}
	return n
}

// pyPercentParts splits a %-format; %d and friends format numbers.
func pyPercentParts(format *Node, args []*Node) []*Node {
	return percentParts(format, args, percentSyntax{mapping: true, flags: "+-# 0123456789.*", numeric: "dioxXeEfFgGc"})
}
