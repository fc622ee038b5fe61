package audit

import (
	"encoding/base64"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// frontier is the right edge of a Merkle tree of n leaves, hashed as
// golang.org/x/mod/sumdb/tlog hashes (RFC 6962): the roots of its maximal
// complete subtrees, largest first. It is all that is needed to append
// leaves and compute the root, so a checkpoint can be signed without
// rereading the log, and a verifier can continue after removed segments.
type frontier struct {
	n     int64
	nodes []tlog.Hash
	sizes []int64
}

func (f *frontier) add(leaf tlog.Hash) {
	f.nodes = append(f.nodes, leaf)
	f.sizes = append(f.sizes, 1)
	f.n++
	for k := len(f.nodes); k >= 2 && f.sizes[k-1] == f.sizes[k-2]; k = len(f.nodes) {
		f.nodes[k-2] = tlog.NodeHash(f.nodes[k-2], f.nodes[k-1])
		f.sizes[k-2] *= 2
		f.nodes, f.sizes = f.nodes[:k-1], f.sizes[:k-1]
	}
}

func (f *frontier) addRecord(line []byte) { f.add(tlog.RecordHash(line)) }

// root is the tree hash of the leaves added so far (tlog.TreeHash).
func (f *frontier) root() tlog.Hash {
	if len(f.nodes) == 0 {
		return tlog.Hash{}
	}
	h := f.nodes[len(f.nodes)-1]
	for i := len(f.nodes) - 2; i >= 0; i-- {
		h = tlog.NodeHash(f.nodes[i], h)
	}
	return h
}

func (f *frontier) clone() frontier {
	return frontier{n: f.n, nodes: append([]tlog.Hash(nil), f.nodes...), sizes: append([]int64(nil), f.sizes...)}
}

// encode renders the subtree hashes as base64 strings.
func (f *frontier) encode() []string {
	out := make([]string, len(f.nodes))
	for i, h := range f.nodes {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

// decodeFrontier rebuilds the frontier of a tree of n leaves from encode's
// output. The subtree sizes follow from n's binary digits.
func decodeFrontier(n int64, enc []string) (frontier, error) {
	var f frontier
	f.n = n
	for bit := int64(1) << 62; bit > 0; bit >>= 1 {
		if n&bit != 0 {
			f.sizes = append(f.sizes, bit)
		}
	}
	if len(f.sizes) != len(enc) {
		return frontier{}, fmt.Errorf("tree of %d events needs %d subtree hashes, got %d", n, len(f.sizes), len(enc))
	}
	for _, s := range enc {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != tlog.HashSize {
			return frontier{}, fmt.Errorf("bad subtree hash %q", s)
		}
		var h tlog.Hash
		copy(h[:], b)
		f.nodes = append(f.nodes, h)
	}
	return f, nil
}
