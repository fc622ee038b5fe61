package secrets

import "sort"

// prefilter finds every occurrence of a set of literal keywords in one pass
// over the input, ASCII case-insensitively. It is an Aho-Corasick automaton
// compiled into a dense DFA over byte classes: bytes that occur in no
// keyword share one class, which keeps the transition table small enough to
// stay in cache (a few hundred KB for the built-in detectors).
//
// The zero value matches nothing. A prefilter is immutable after build and
// safe for concurrent use.
type prefilter struct {
	class    [256]uint8 // byte -> class; 0 is "in no keyword"
	nclass   int
	trans    []int32   // state*nclass+class -> next<<1 | hasOutput
	outs     [][]int32 // state -> keyword ids ending here (fail chain included)
	keywords []string  // lower-cased
}

func lowerASCII(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

func buildPrefilter(keywords []string) *prefilter {
	p := &prefilter{keywords: make([]string, len(keywords))}
	// Byte classes: one per distinct lower-cased byte used in a keyword;
	// upper-case letters share their lower-case class.
	used := map[byte]bool{}
	for i, k := range keywords {
		lk := make([]byte, len(k))
		for j := 0; j < len(k); j++ {
			lk[j] = lowerASCII(k[j])
			used[lk[j]] = true
		}
		p.keywords[i] = string(lk)
	}
	bs := make([]int, 0, len(used))
	for b := range used {
		bs = append(bs, int(b))
	}
	sort.Ints(bs)
	for i, b := range bs {
		p.class[b] = uint8(i + 1)
		if 'a' <= b && b <= 'z' {
			p.class[b-'a'+'A'] = uint8(i + 1)
		}
	}
	// At most 230 classes (256 bytes less the 26 folded upper-case
	// letters) plus class 0, so uint8 always suffices.
	p.nclass = len(bs) + 1

	// Trie.
	type node struct {
		next map[uint8]int32
		fail int32
		out  []int32
	}
	nodes := []node{{next: map[uint8]int32{}}}
	for id, k := range p.keywords {
		s := int32(0)
		for j := 0; j < len(k); j++ {
			c := p.class[k[j]]
			n, ok := nodes[s].next[c]
			if !ok {
				n = int32(len(nodes))
				nodes = append(nodes, node{next: map[uint8]int32{}})
				nodes[s].next[c] = n
			}
			s = n
		}
		nodes[s].out = append(nodes[s].out, int32(id))
	}

	// BFS: failure links and the dense DFA.
	ns := len(nodes)
	p.trans = make([]int32, ns*p.nclass)
	p.outs = make([][]int32, ns)
	queue := make([]int32, 0, ns)
	for c := 0; c < p.nclass; c++ {
		if n, ok := nodes[0].next[uint8(c)]; ok {
			nodes[n].fail = 0
			queue = append(queue, n)
			p.trans[c] = n
		}
	}
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		nodes[s].out = append(nodes[s].out, nodes[nodes[s].fail].out...)
		for c := 0; c < p.nclass; c++ {
			if n, ok := nodes[s].next[uint8(c)]; ok {
				nodes[n].fail = p.trans[int(nodes[s].fail)*p.nclass+c]
				queue = append(queue, n)
				p.trans[int(s)*p.nclass+c] = n
			} else {
				p.trans[int(s)*p.nclass+c] = p.trans[int(nodes[s].fail)*p.nclass+c]
			}
		}
	}
	// Encode "has output" in bit 0 of every transition into a state.
	for s := range nodes {
		p.outs[s] = nodes[s].out
	}
	for i, t := range p.trans {
		next := t
		v := next << 1
		if len(p.outs[next]) > 0 {
			v |= 1
		}
		p.trans[i] = v
	}
	return p
}

var base64Mask = func() (t [256]int) {
	for i := range t {
		if base64Byte[i] {
			t[i] = -1
		}
	}
	return t
}()

// hit is one keyword occurrence: keyword id and the byte offset just past
// its end.
type hit struct {
	kw  int32
	end int
}

// scan calls fn for every keyword occurrence in b, in order of end offset.
func (p *prefilter) scan(b []byte, fn func(h hit)) {
	p.scanRuns(b, fn, nil)
}

// scanRuns is scan that also, in the same pass, appends to runs the
// [start, end) offsets of every run of at least minBase64Run base64
// bytes (candidates for the decoding layer), when runs is not nil.
func (p *prefilter) scanRuns(b []byte, fn func(h hit), runs *[]int) {
	if p == nil || len(p.keywords) == 0 {
		return
	}
	trans, class, nclass := p.trans, &p.class, int(p.nclass)
	s := 0
	if runs == nil {
		for i, c := range b {
			t := trans[s*nclass+int(class[c])]
			s = int(t >> 1)
			if t&1 != 0 {
				for _, k := range p.outs[s] {
					fn(hit{kw: k, end: i + 1})
				}
			}
		}
		return
	}
	run := 0
	for i, c := range b {
		// Branch-free run counting: the mask is all ones for a base64
		// byte and zero otherwise; the rare end of a long run is the only
		// branch taken.
		m := base64Mask[c]
		if m == 0 && run >= minBase64Run {
			*runs = append(*runs, i-run, i)
		}
		run = (run + 1) & m
		t := trans[s*nclass+int(class[c])]
		s = int(t >> 1)
		if t&1 != 0 {
			for _, k := range p.outs[s] {
				fn(hit{kw: k, end: i + 1})
			}
		}
	}
	if run >= minBase64Run {
		*runs = append(*runs, len(b)-run, len(b))
	}
}
