package audit

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// Tree is the Merkle tree of a whole log held in memory, for proofs. It
// needs every event from the first, so it cannot be built once retention
// removed segments.
type Tree struct {
	n      int64
	hashes []tlog.Hash // tlog stored hashes, indexed by tlog.StoredHashIndex
	lines  map[uint64][]byte
}

// BuildTree reads the log at path into a Tree. keep lists the events whose
// lines the caller wants back (for inclusion proofs).
func BuildTree(path string, keep ...uint64) (*Tree, error) {
	t := &Tree{lines: make(map[uint64][]byte)}
	want := make(map[uint64]bool, len(keep))
	for _, s := range keep {
		want[s] = true
	}
	err := Read(path, ReadOptions{}, func(r Record) error {
		if r.Seq != uint64(t.n)+1 {
			return fmt.Errorf("proofs need the whole log from event 1: found event %d where %d was expected (run 'warden audit verify')", r.Seq, t.n+1)
		}
		hs, err := tlog.StoredHashes(t.n, r.Line, t)
		if err != nil {
			return err
		}
		t.hashes = append(t.hashes, hs...)
		if want[r.Seq] {
			t.lines[r.Seq] = append([]byte(nil), r.Line...)
		}
		t.n++
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Size is the number of events in the tree.
func (t *Tree) Size() int64 { return t.n }

// Line returns the line of an event named to BuildTree.
func (t *Tree) Line(seq uint64) []byte { return t.lines[seq] }

// ReadHashes implements tlog.HashReader.
func (t *Tree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(t.hashes)) {
			return nil, fmt.Errorf("hash index %d out of range", x)
		}
		out[i] = t.hashes[x]
	}
	return out, nil
}

// Root is the Merkle root of the first n events.
func (t *Tree) Root(n int64) (tlog.Hash, error) { return tlog.TreeHash(n, t) }

// ProveInclusion proves that event seq is in the tree of the first size
// events.
func (t *Tree) ProveInclusion(seq uint64, size int64) (tlog.RecordProof, error) {
	if seq == 0 || int64(seq) > size || size > t.n {
		return nil, fmt.Errorf("event %d is not in a tree of %d events", seq, size)
	}
	return tlog.ProveRecord(size, int64(seq-1), t)
}

// ProveConsistency proves that the tree of oldSize events is a prefix of
// the tree of size events.
func (t *Tree) ProveConsistency(oldSize, size int64) (tlog.TreeProof, error) {
	if oldSize < 1 || oldSize > size || size > t.n {
		return nil, fmt.Errorf("no consistency proof from %d to %d events in a log of %d", oldSize, size, t.n)
	}
	return tlog.ProveTree(size, oldSize, t)
}

// CheckInclusion checks, with nothing but a verified checkpoint, that line
// is event seq of the tree it signs.
func CheckInclusion(p tlog.RecordProof, c Checkpoint, seq uint64, line []byte) error {
	if err := tlog.CheckRecord(p, c.Size, c.Root, int64(seq-1), tlog.RecordHash(line)); err != nil {
		return fmt.Errorf("event %d is not in the checkpoint of %d events: %w", seq, c.Size, err)
	}
	return nil
}

// CheckConsistency checks that the checkpoint old is a prefix of c.
func CheckConsistency(p tlog.TreeProof, c, old Checkpoint) error {
	if err := tlog.CheckTree(p, c.Size, c.Root, old.Size, old.Root); err != nil {
		return fmt.Errorf("the checkpoint of %d events does not extend the one of %d: %w", c.Size, old.Size, err)
	}
	return nil
}
