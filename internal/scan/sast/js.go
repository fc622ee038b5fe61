package sast

import (
	"context"
	"strings"
)

// parseJS lowers JavaScript, TypeScript, JSX and TSX; the grammars share
// node names, TypeScript only adding types, which are skipped.
func parseJS(ctx context.Context, path string, src []byte, lang Lang, g *tsGrammar, cut int) (*Unit, error) {
	return lowerTS(ctx, path, src, lang, g, func(l tsLower) tsFront { return &jsLower{l} }, cut)
}

func (j *jsLower) imports(t *tnode) bool {
	switch t.typ {
	case "import_statement":
		j.importStmt(t)
		return true
	case "variable_declarator":
		// The value may hold functions with their own requires: keep going.
		if name, val := t.child("name"), t.child("value"); name != nil && val != nil {
			j.requireImport(name, val)
		}
	}
	return false
}

type jsLower struct{ tsLower }

func (j *jsLower) node(k Kind, t *tnode) *Node {
	off := t.start
	for off < t.end && off < len(j.u.Src) && (j.u.Src[off] == ' ' || j.u.Src[off] == '\n' || j.u.Src[off] == '\t' || j.u.Src[off] == '\r') {
		off++
	}
	return &Node{Kind: k, Off: off, End: t.end}
}

func (j *jsLower) block(t *tnode) []*Stmt { return lowerBlock(t, j.stmt) }

func (j *jsLower) body(t *tnode) []*Stmt {
	if t == nil {
		return nil
	}
	if t.typ == "statement_block" {
		return j.block(t)
	}
	return j.stmt(t)
}

func jsModule(s string) string {
	return strings.TrimPrefix(s, "node:")
}

func (j *jsLower) stmt(t *tnode) []*Stmt {
	mk := func(k SKind) *Stmt { return &Stmt{Kind: k, Off: t.start, End: t.end} }
	switch t.typ {
	case "program", "statement_block":
		return j.block(t)
	case "expression_statement":
		k := t.firstNamed()
		if k == nil {
			return nil
		}
		switch k.typ {
		case "assignment_expression":
			return []*Stmt{{Kind: SAssign, Op: "=", Lhs: []*Node{j.pattern(k.child("left"))}, Rhs: []*Node{j.expr(k.child("right"))}, Off: t.start, End: t.end}}
		case "augmented_assignment_expression":
			return []*Stmt{{Kind: SAssign, Op: j.text(k.child("operator")), Lhs: []*Node{j.expr(k.child("left"))}, Rhs: []*Node{j.expr(k.child("right"))}, Off: t.start, End: t.end}}
		}
		st := mk(SExpr)
		st.X = j.expr(k)
		return []*Stmt{st}
	case "lexical_declaration", "variable_declaration":
		var out []*Stmt
		for _, d := range t.named1() {
			if d.typ != "variable_declarator" {
				continue
			}
			name, val := d.child("name"), d.child("value")
			if val == nil || name == nil {
				continue
			}
			if j.requireImport(name, val) {
				continue
			}
			out = append(out, &Stmt{Kind: SAssign, Op: "=", Lhs: []*Node{j.pattern(name)}, Rhs: []*Node{j.expr(val)}, Off: d.start, End: d.end})
		}
		return out
	case "if_statement":
		st := mk(SIf)
		st.X = j.expr(t.child("condition"))
		st.Body = j.body(t.child("consequence"))
		if alt := t.child("alternative"); alt != nil {
			for _, k := range alt.named1() {
				st.Else = append(st.Else, j.stmt(k)...)
			}
		}
		return []*Stmt{st}
	case "for_statement":
		st := mk(SBlock)
		st.Loop = true
		for _, f := range []string{"initializer", "condition", "increment"} {
			if c := t.child(f); c != nil {
				st.Body = append(st.Body, j.stmt(c)...)
				if c.typ != "lexical_declaration" && c.typ != "variable_declaration" && c.typ != "expression_statement" && c.typ != "empty_statement" {
					st.Body = append(st.Body, &Stmt{Kind: SExpr, X: j.expr(c)})
				}
			}
		}
		st.Body = append(st.Body, j.body(t.child("body"))...)
		return []*Stmt{st}
	case "for_in_statement":
		st := mk(SBlock)
		st.Loop = true
		st.X = j.expr(t.child("right"))
		st.Lhs = []*Node{j.pattern(t.child("left"))}
		st.Body = j.body(t.child("body"))
		return []*Stmt{st}
	case "while_statement", "do_statement":
		st := mk(SBlock)
		st.Loop = true
		st.Body = append([]*Stmt{{Kind: SExpr, X: j.expr(t.child("condition"))}}, j.body(t.child("body"))...)
		return []*Stmt{st}
	case "try_statement":
		st := mk(SBlock)
		st.Body = j.body(t.child("body"))
		if h := t.child("handler"); h != nil {
			st.Else = append(st.Else, j.body(h.child("body"))...)
		}
		if f := t.child("finalizer"); f != nil {
			st.Else = append(st.Else, j.body(f.child("body"))...)
		}
		return []*Stmt{st}
	case "switch_statement":
		st := mk(SBlock)
		st.Body = []*Stmt{{Kind: SExpr, X: j.expr(t.child("value"))}}
		if b := t.child("body"); b != nil {
			for _, c := range b.named1() {
				inner := &Stmt{Kind: SBlock}
				for _, s := range c.named1() {
					if s.field == "value" {
						continue
					}
					inner.Body = append(inner.Body, j.stmt(s)...)
				}
				st.Body = append(st.Body, inner)
			}
		}
		return []*Stmt{st}
	case "labeled_statement":
		return j.body(t.child("body"))
	case "return_statement":
		st := mk(SReturn)
		if k := t.firstNamed(); k != nil {
			st.X = j.expr(k)
		}
		return []*Stmt{st}
	case "throw_statement", "break_statement", "continue_statement":
		st := mk(SExit)
		if t.typ == "throw_statement" {
			st.X = j.expr(t.firstNamed())
		}
		return []*Stmt{st}
	case "function_declaration", "generator_function_declaration":
		fn := j.function(t)
		return []*Stmt{{Kind: SFunc, Fn: fn, Off: t.start, End: t.end}}
	case "class_declaration", "abstract_class_declaration":
		return []*Stmt{j.class(t)}
	case "export_statement":
		if d := t.child("declaration"); d != nil {
			out := j.stmt(d)
			for _, s := range out {
				if s.Kind == SFunc {
					s.Fn.Exported = true
				}
				if s.Kind == SAssign && len(s.Rhs) == 1 && s.Rhs[0] != nil && s.Rhs[0].Kind == KFunc && len(s.Lhs) == 1 {
					s.Rhs[0].Fn.Exported = true
					s.Rhs[0].Fn.Name = s.Lhs[0].Name
				}
			}
			return out
		}
		if v := t.child("value"); v != nil {
			return []*Stmt{{Kind: SExpr, X: j.expr(v), Off: t.start, End: t.end}}
		}
		return nil
	case "import_statement":
		j.importStmt(t)
		return nil
	}
	return nil
}

func (j *jsLower) class(t *tnode) *Stmt {
	cl := &Class{Name: j.text(t.child("name")), Off: t.start, End: t.end}
	for _, k := range t.named1() {
		if k.typ == "class_heritage" {
			for _, h := range k.named1() {
				cl.Bases = append(cl.Bases, j.expr(h.firstNamedOr()))
			}
		}
	}
	if b := t.child("body"); b != nil {
		for _, m := range b.named1() {
			switch m.typ {
			case "method_definition":
				fn := j.function(m)
				cl.Body = append(cl.Body, &Stmt{Kind: SFunc, Fn: fn, Off: m.start, End: m.end})
			case "field_definition", "public_field_definition":
				v := m.child("value")
				if v == nil {
					continue
				}
				prop := m.child("property")
				if prop == nil {
					prop = m.child("name")
				}
				l := j.node(KIdent, m)
				l.Name = "this." + j.text(prop)
				cl.Body = append(cl.Body, &Stmt{Kind: SAssign, Op: "=", Lhs: []*Node{l}, Rhs: []*Node{j.expr(v)}, Off: m.start, End: m.end})
			}
		}
	}
	return &Stmt{Kind: SClass, Cls: cl, Off: t.start, End: t.end}
}

func (j *jsLower) importStmt(t *tnode) {
	src := t.child("source")
	if src == nil {
		return
	}
	mod := jsModule(j.strText(src))
	j.u.ImportPaths = append(j.u.ImportPaths, mod)
	for _, k := range t.named1() {
		if k.typ != "import_clause" {
			continue
		}
		for _, c := range k.named1() {
			switch c.typ {
			case "identifier":
				j.u.Imports[j.text(c)] = mod
			case "namespace_import":
				if id := c.firstNamed(); id != nil {
					j.u.Imports[j.text(id)] = mod
				}
			case "named_imports":
				for _, s := range c.named1() {
					if s.typ != "import_specifier" {
						continue
					}
					name := j.text(s.child("name"))
					alias := name
					if a := s.child("alias"); a != nil {
						alias = j.text(a)
					}
					j.u.Imports[alias] = mod + "." + name
				}
			}
		}
	}
}

// requireImport records `const x = require("m")` and
// `const { a, b: c } = require("m")` as imports.
func (j *jsLower) requireImport(name, val *tnode) bool {
	if val.typ != "call_expression" {
		return false
	}
	fn := val.child("function")
	if fn == nil || j.text(fn) != "require" {
		return false
	}
	args := val.child("arguments")
	if args == nil {
		return false
	}
	a := args.firstNamed()
	if a == nil || a.typ != "string" {
		return false
	}
	mod := jsModule(j.strText(a))
	j.u.ImportPaths = append(j.u.ImportPaths, mod)
	switch name.typ {
	case "identifier":
		j.u.Imports[j.text(name)] = mod
	case "object_pattern":
		for _, p := range name.named1() {
			switch p.typ {
			case "shorthand_property_identifier_pattern":
				j.u.Imports[j.text(p)] = mod + "." + j.text(p)
			case "pair_pattern":
				j.u.Imports[j.text(p.child("value"))] = mod + "." + j.text(p.child("key"))
			}
		}
	}
	return true
}

func (j *jsLower) strText(t *tnode) string {
	var b strings.Builder
	for _, k := range t.kids {
		if k.typ == "string_fragment" || k.typ == "escape_sequence" {
			b.WriteString(j.text(k))
		}
	}
	return b.String()
}

func (j *jsLower) function(t *tnode) *Func {
	fn := &Func{Name: j.text(t.child("name")), Off: t.start, End: t.end}
	if ps := t.child("parameters"); ps != nil {
		for i, prm := range ps.named1() {
			j.params(fn, prm, i)
		}
	} else if prm := t.child("parameter"); prm != nil {
		j.params(fn, prm, 0)
	}
	body := t.child("body")
	if body != nil && body.typ != "statement_block" {
		fn.Body = []*Stmt{{Kind: SReturn, X: j.expr(body), Off: body.start, End: body.end}}
	} else {
		fn.Body = j.body(body)
	}
	return fn
}

func (j *jsLower) params(fn *Func, prm *tnode, i int) {
	typ := ""
	switch prm.typ {
	case "required_parameter", "optional_parameter":
		if ta := prm.child("type"); ta != nil {
			typ = strings.TrimSpace(strings.TrimPrefix(j.text(ta), ":"))
		}
		if p := prm.child("pattern"); p != nil {
			prm = p
		}
	case "assignment_pattern":
		if l := prm.child("left"); l != nil {
			prm = l
		}
	}
	switch prm.typ {
	case "identifier":
		fn.Params = append(fn.Params, Param{Name: j.text(prm), Type: typ, Index: i})
	case "object_pattern", "array_pattern":
		for _, n := range namesOfPattern(j, prm) {
			fn.Params = append(fn.Params, Param{Name: n, Type: typ, Index: i})
		}
	case "rest_pattern":
		if k := prm.firstNamed(); k != nil {
			fn.Params = append(fn.Params, Param{Name: j.text(k), Index: i})
		}
	}
}

func namesOfPattern(j *jsLower, t *tnode) []string {
	var out []string
	switch t.typ {
	case "identifier", "shorthand_property_identifier_pattern":
		return []string{j.text(t)}
	case "pair_pattern":
		return namesOfPattern(j, t.child("value"))
	case "object_assignment_pattern", "assignment_pattern":
		return namesOfPattern(j, t.child("left"))
	}
	for _, k := range t.named1() {
		out = append(out, namesOfPattern(j, k)...)
	}
	return out
}

// pattern lowers an assignment target; destructuring becomes an array of names.
func (j *jsLower) pattern(t *tnode) *Node {
	if t == nil {
		return nil
	}
	switch t.typ {
	case "object_pattern", "array_pattern":
		n := j.node(KArray, t)
		for _, name := range namesOfPattern(j, t) {
			id := j.node(KIdent, t)
			id.Name = name
			n.Args = append(n.Args, id)
		}
		return n
	}
	return j.expr(t)
}

func (j *jsLower) resolve(name string) string {
	if imp, ok := j.u.Imports[name]; ok {
		return imp
	}
	return name
}

func (j *jsLower) expr(t *tnode) *Node {
	if t == nil {
		return nil
	}
	switch t.typ {
	case "identifier", "shorthand_property_identifier", "property_identifier", "this", "super":
		n := j.node(KIdent, t)
		n.Name = j.resolve(j.text(t))
		return n
	case "undefined", "null":
		return j.node(KNull, t)
	case "true", "false":
		n := j.node(KBool, t)
		n.Str = t.typ
		return n
	case "number":
		n := j.node(KNum, t)
		n.Str = j.text(t)
		return n
	case "string":
		n := j.node(KStr, t)
		n.Str = j.strText(t)
		return n
	case "regex":
		n := j.node(KStr, t)
		if p := t.child("pattern"); p != nil {
			n.Str = j.text(p)
		}
		return n
	case "template_string":
		n := j.node(KBuild, t)
		subst := false
		var lit strings.Builder
		pos := t.start
		for _, k := range t.kids {
			switch k.typ {
			case "string_fragment", "escape_sequence":
				lit.WriteString(j.text(k))
				pos = k.start
			case "template_substitution":
				subst = true
				if lit.Len() > 0 {
					n.Args = append(n.Args, &Node{Kind: KStr, Str: lit.String(), Off: pos, End: k.start})
					lit.Reset()
				}
				if e := k.firstNamed(); e != nil {
					n.Args = append(n.Args, j.expr(e))
				}
			}
		}
		if !subst {
			s := j.node(KStr, t)
			s.Str = lit.String()
			return s
		}
		if lit.Len() > 0 {
			n.Args = append(n.Args, &Node{Kind: KStr, Str: lit.String(), Off: pos, End: t.end})
		}
		return n
	case "member_expression":
		n := j.node(KMember, t)
		base := j.expr(t.child("object"))
		if base == nil {
			return j.node(KOther, t)
		}
		n.Name = j.pathOf(base) + "." + j.text(t.child("property"))
		n.Args = []*Node{base}
		return n
	case "subscript_expression":
		n := j.node(KIndex, t)
		obj := j.expr(t.child("object"))
		idx := j.expr(t.child("index"))
		n.Args = []*Node{obj, idx}
		if idx != nil && idx.Kind == KStr && obj != nil {
			n.Name = j.pathOf(obj) + "." + idx.Str
		}
		return n
	case "call_expression", "new_expression":
		return j.call(t)
	case "binary_expression":
		op := j.text(t.child("operator"))
		l, r := j.expr(t.child("left")), j.expr(t.child("right"))
		switch op {
		case "+":
			return concat(j.node(KBuild, t), l, r)
		case "===", "==", "!==", "!=", "in", "instanceof", "<", ">", "<=", ">=":
			n := j.node(KCompare, t)
			n.Str = op
			n.Args = []*Node{l, r}
			return n
		case "||", "&&", "??":
			n := j.node(KLogic, t)
			n.Str = op
			n.Args = []*Node{l, r}
			return n
		}
		n := j.node(KOther, t)
		n.Args = []*Node{l, r}
		return n
	case "parenthesized_expression", "await_expression", "as_expression", "satisfies_expression", "non_null_expression", "type_assertion", "spread_element_never":
		if k := t.firstNamed(); k != nil {
			return j.expr(k)
		}
	case "spread_element":
		n := j.node(KSpread, t)
		n.Args = []*Node{j.expr(t.firstNamed())}
		return n
	case "array":
		n := j.node(KArray, t)
		for _, k := range t.named1() {
			n.Args = append(n.Args, j.expr(k))
		}
		return n
	case "object":
		return j.object(t)
	case "arrow_function", "function_expression", "function", "generator_function", "method_definition":
		n := j.node(KFunc, t)
		n.Fn = j.function(t)
		return n
	case "jsx_element", "jsx_self_closing_element":
		return j.jsx(t)
	case "assignment_expression":
		n := j.node(KOther, t)
		n.Args = []*Node{j.expr(t.child("right"))}
		return n
	case "class":
		s := j.class(t)
		n := j.node(KOther, t)
		_ = s
		return n
	}
	n := j.node(KOther, t)
	for _, k := range t.named1() {
		if k.typ == "type_annotation" || k.typ == "type_arguments" {
			continue
		}
		n.Args = append(n.Args, j.expr(k))
	}
	return n
}

func (j *jsLower) object(t *tnode) *Node {
	n := j.node(KObject, t)
	for _, k := range t.named1() {
		switch k.typ {
		case "pair":
			key := k.child("key")
			ks := j.text(key)
			if key != nil && key.typ == "string" {
				ks = j.strText(key)
			}
			n.Keys = append(n.Keys, ks)
			n.Vals = append(n.Vals, j.expr(k.child("value")))
		case "shorthand_property_identifier":
			n.Keys = append(n.Keys, j.text(k))
			n.Vals = append(n.Vals, j.expr(k))
		case "method_definition":
			n.Keys = append(n.Keys, j.text(k.child("name")))
			f := j.node(KFunc, k)
			f.Fn = j.function(k)
			n.Vals = append(n.Vals, f)
		case "spread_element":
			n.Args = append(n.Args, j.expr(k))
		}
	}
	return n
}

func (j *jsLower) jsx(t *tnode) *Node {
	n := j.node(KObject, t)
	open := t
	if t.typ == "jsx_element" {
		open = t.child("open_tag")
		if open == nil {
			open = t
		}
	}
	n.Name = "jsx:" + j.text(open.child("name"))
	for _, a := range open.named1() {
		if a.typ != "jsx_attribute" {
			continue
		}
		kids := a.named1()
		if len(kids) == 0 {
			continue
		}
		n.Keys = append(n.Keys, j.text(kids[0]))
		if len(kids) < 2 {
			b := j.node(KBool, a)
			b.Str = "true"
			n.Vals = append(n.Vals, b)
			continue
		}
		v := kids[1]
		if v.typ == "jsx_expression" {
			if e := v.firstNamed(); e != nil {
				n.Vals = append(n.Vals, j.expr(e))
				continue
			}
		}
		n.Vals = append(n.Vals, j.expr(v))
	}
	if t.typ == "jsx_element" {
		for _, c := range t.named1() {
			switch c.typ {
			case "jsx_expression":
				if e := c.firstNamed(); e != nil {
					n.Args = append(n.Args, j.expr(e))
				}
			case "jsx_element", "jsx_self_closing_element":
				n.Args = append(n.Args, j.jsx(c))
			}
		}
	}
	return n
}

func (j *jsLower) call(t *tnode) *Node {
	n := j.node(KCall, t)
	n.New = t.typ == "new_expression"
	fn := t.child("function")
	if n.New {
		fn = t.child("constructor")
	}
	n.Fun = j.expr(fn)
	if n.Fun == nil {
		return j.node(KOther, t)
	}
	n.Name = j.pathOf(n.Fun)
	args := t.child("arguments")
	if args != nil && args.typ == "template_string" {
		// A tagged template (sql`...${x}`) passes values separately.
		x := j.node(KArray, args)
		for _, k := range args.named1() {
			if k.typ == "template_substitution" {
				if e := k.firstNamed(); e != nil {
					x.Args = append(x.Args, j.expr(e))
				}
			}
		}
		n.Args = []*Node{x}
		return n
	}
	if args != nil {
		for _, a := range args.named1() {
			n.Args = append(n.Args, j.expr(a))
		}
	}
	return n
}

// pathOf differs from the other front ends' in naming `new X()` calls
// and string receivers.
func (j *jsLower) pathOf(n *Node) string {
	switch n.Kind {
	case KIdent, KMember:
		return n.Name
	case KCall:
		if n.New {
			return "new " + n.Name + "()"
		}
		return n.Name + "()"
	case KIndex:
		if n.Name != "" {
			return n.Name
		}
		if len(n.Args) > 0 && n.Args[0] != nil {
			return j.pathOf(n.Args[0]) + "[]"
		}
	case KStr:
		return "str"
	}
	return "?"
}
