package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// kind is the shape of a node in a parsed YAML or JSON document.
type kind uint8

const (
	kindScalar kind = iota
	kindMap
	kindSeq
)

// node is one value of a YAML or JSON document with its position. Rules
// for workflows, manifests, CloudFormation and agent settings walk this one
// tree, whichever syntax the file used.
type node struct {
	kind kind
	// str is the scalar's text (for JSON strings, unquoted; for numbers and
	// booleans, their literal text).
	str string
	// tag is the YAML tag of a scalar or collection ("!!str", "!Ref"...);
	// for JSON, "!!str" for strings and "!!null"/"!!bool"/"!!int" otherwise.
	tag  string
	line int
	col  int
	// keys and vals hold a map's entries in document order.
	keys []*node
	vals []*node
	// items holds a sequence's elements.
	items []*node
}

// get returns the value of key k in a map, or nil.
func (n *node) get(k string) *node {
	if n == nil || n.kind != kindMap {
		return nil
	}
	for i, key := range n.keys {
		if key.str == k {
			return n.vals[i]
		}
	}
	return nil
}

// getKey returns the key node of k in a map (for positions), or nil.
func (n *node) getKey(k string) *node {
	if n == nil || n.kind != kindMap {
		return nil
	}
	for _, key := range n.keys {
		if key.str == k {
			return key
		}
	}
	return nil
}

// path follows a chain of map keys.
func (n *node) path(keys ...string) *node {
	for _, k := range keys {
		n = n.get(k)
	}
	return n
}

// text returns a scalar's string or "" for anything else.
func (n *node) text() string {
	if n == nil || n.kind != kindScalar {
		return ""
	}
	return n.str
}

// isTrue reports whether n is a true boolean (YAML true/True/TRUE or the
// string "true", which Kubernetes and Compose both accept).
func (n *node) isTrue() bool {
	if n == nil || n.kind != kindScalar {
		return false
	}
	b, err := strconv.ParseBool(strings.TrimSpace(n.str))
	return err == nil && b
}

// isFalse reports whether n is a false boolean.
func (n *node) isFalse() bool {
	if n == nil || n.kind != kindScalar {
		return false
	}
	b, err := strconv.ParseBool(strings.TrimSpace(n.str))
	return err == nil && !b
}

// list returns a sequence's items, or a one-element list for a scalar (many
// formats accept either), or nil.
func (n *node) list() []*node {
	switch {
	case n == nil:
		return nil
	case n.kind == kindSeq:
		return n.items
	case n.kind == kindScalar && n.tag != "!!null":
		return []*node{n}
	}
	return nil
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 200

var errTooDeep = errors.New("document nested too deeply")

// parseYAML parses every document of a YAML stream. Anchors and aliases are
// resolved by copying the anchored node's position (an alias bomb is bounded
// by maxNodes).
func parseYAML(src []byte) ([]*node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var docs []*node
	budget := maxNodes
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, err
		}
		if len(doc.Content) == 0 {
			continue
		}
		n, err := fromYAML(doc.Content[0], 0, &budget)
		if err != nil {
			return docs, err
		}
		docs = append(docs, n)
	}
}

// maxNodes bounds the tree built from one file (alias expansion included).
const maxNodes = 1 << 20

func fromYAML(y *yaml.Node, depth int, budget *int) (*node, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	*budget--
	if *budget < 0 {
		return nil, errors.New("document too large after alias expansion")
	}
	if y.Kind == yaml.AliasNode && y.Alias != nil {
		return fromYAML(y.Alias, depth+1, budget)
	}
	n := &node{tag: y.Tag, line: y.Line, col: y.Column}
	switch y.Kind {
	case yaml.MappingNode:
		n.kind = kindMap
		for i := 0; i+1 < len(y.Content); i += 2 {
			k, v := y.Content[i], y.Content[i+1]
			if k.Tag == "!!merge" {
				// "<<: *base" merges the anchored map's entries.
				m, err := fromYAML(v, depth+1, budget)
				if err != nil {
					return nil, err
				}
				for _, src := range append([]*node{m}, m.items...) {
					if src.kind == kindMap {
						n.keys = append(n.keys, src.keys...)
						n.vals = append(n.vals, src.vals...)
					}
				}
				continue
			}
			kn, err := fromYAML(k, depth+1, budget)
			if err != nil {
				return nil, err
			}
			vn, err := fromYAML(v, depth+1, budget)
			if err != nil {
				return nil, err
			}
			n.keys = append(n.keys, kn)
			n.vals = append(n.vals, vn)
		}
	case yaml.SequenceNode:
		n.kind = kindSeq
		for _, c := range y.Content {
			cn, err := fromYAML(c, depth+1, budget)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, cn)
		}
	default:
		n.kind = kindScalar
		n.str = y.Value
	}
	return n, nil
}

// parseJSON parses a JSON (or JSONC: comments and trailing commas) document
// into a node tree with line and column positions.
func parseJSON(src []byte) (*node, error) {
	clean := stripJSONC(src)
	lines := newLineIndex(clean)
	dec := json.NewDecoder(bytes.NewReader(clean))
	dec.UseNumber()
	p := &jsonParser{dec: dec, src: clean, lines: lines}
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return n, nil
}

type jsonParser struct {
	dec   *json.Decoder
	src   []byte
	lines lineIndex
	count int
}

// next returns the next token and the byte offset where it starts.
func (p *jsonParser) next() (json.Token, int, error) {
	off := int(p.dec.InputOffset())
	for off < len(p.src) {
		c := p.src[off]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == ':' {
			off++
			continue
		}
		break
	}
	tok, err := p.dec.Token()
	return tok, off, err
}

func (p *jsonParser) value(depth int) (*node, error) {
	tok, off, err := p.next()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return p.build(tok, off, depth)
}

func (p *jsonParser) build(tok json.Token, off, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	p.count++
	if p.count > maxNodes {
		return nil, errors.New("document too large")
	}
	line, col := p.lines.pos(off)
	n := &node{line: line, col: col}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n.kind = kindMap
			for p.dec.More() {
				kt, koff, err := p.next()
				if err != nil {
					return nil, err
				}
				ks, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key is not a string")
				}
				kl, kc := p.lines.pos(koff)
				v, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, &node{kind: kindScalar, str: ks, tag: "!!str", line: kl, col: kc})
				n.vals = append(n.vals, v)
			}
		case '[':
			n.kind = kindSeq
			for p.dec.More() {
				v, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, v)
			}
		default:
			return nil, fmt.Errorf("unexpected %q", t)
		}
		if _, err := p.dec.Token(); err != nil { // closing delimiter
			return nil, err
		}
	case string:
		n.str, n.tag = t, "!!str"
	case json.Number:
		n.str, n.tag = t.String(), "!!int"
	case bool:
		n.str, n.tag = strconv.FormatBool(t), "!!bool"
	case nil:
		n.tag = "!!null"
	}
	return n, nil
}

// stripJSONC blanks out // and /* */ comments and trailing commas, keeping
// every other byte (and so every offset) where it was.
func stripJSONC(src []byte) []byte {
	if !bytes.Contains(src, []byte("/")) && !bytes.Contains(src, []byte(",")) {
		return src
	}
	out := bytes.Clone(src)
	inStr := false
	for i := 0; i < len(out); i++ {
		c := out[i]
		if inStr {
			if c == '\\' {
				i++
			} else if c == '"' {
				inStr = false
			}
			continue
		}
		switch {
		case c == '"':
			inStr = true
		case c == '/' && i+1 < len(out) && out[i+1] == '/':
			for i < len(out) && out[i] != '\n' {
				out[i] = ' '
				i++
			}
		case c == '/' && i+1 < len(out) && out[i+1] == '*':
			out[i], out[i+1] = ' ', ' '
			i += 2
			for i < len(out) && !(out[i] == '*' && i+1 < len(out) && out[i+1] == '/') {
				if out[i] != '\n' {
					out[i] = ' '
				}
				i++
			}
			if i < len(out) {
				out[i] = ' '
				if i+1 < len(out) {
					out[i+1] = ' '
				}
				i++
			}
		case c == ',':
			j := skipSpaceAndComments(out, i+1)
			// A trailing comma before } or ] is dropped.
			if j < len(out) && (out[j] == '}' || out[j] == ']') {
				out[i] = ' '
			}
		}
	}
	return out
}

// skipSpaceAndComments returns the offset of the next byte at or after i
// that is neither white space nor inside a comment.
func skipSpaceAndComments(b []byte, i int) int {
	for i < len(b) {
		switch {
		case b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n':
			i++
		case b[i] == '/' && i+1 < len(b) && b[i+1] == '/':
			for i < len(b) && b[i] != '\n' {
				i++
			}
		case b[i] == '/' && i+1 < len(b) && b[i+1] == '*':
			i += 2
			for i < len(b) && !(b[i] == '*' && i+1 < len(b) && b[i+1] == '/') {
				i++
			}
			i += 2
		default:
			return i
		}
	}
	return i
}

// lineIndex maps byte offsets to 1-based line and column.
type lineIndex []int

func newLineIndex(src []byte) lineIndex {
	idx := lineIndex{0}
	for i, c := range src {
		if c == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

func (l lineIndex) pos(off int) (line, col int) {
	lo, hi := 0, len(l)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if l[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo + 1, off - l[lo] + 1
}
