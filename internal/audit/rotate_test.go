package audit

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRotationKeepsOneVerifiableChain(t *testing.T) {
	k := newKeys(t, "test")
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openTest(t, path, Options{Now: (&clock{t: t0}).now, Signer: k.signer, CheckpointEvery: 7, RotateSize: 3000})
	appendN(t, l, 40, DecisionAllow)
	segs, err := Segments(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) < 3 {
		t.Fatalf("%d segments, want rotation to make at least 3", len(segs))
	}
	recs := readAll(t, path)
	checkChain(t, recs)
	// Every segment after the first opens with a rotation event describing
	// the one before.
	firstOf := map[string]Record{}
	for _, r := range recs {
		if _, ok := firstOf[r.File]; !ok {
			firstOf[r.File] = r
		}
	}
	for _, s := range segs[1:] {
		r := firstOf[filepath.Base(s)]
		if r.Kind != KindRotation || r.Segment == nil || r.Segment.LastSeq != r.Seq-1 {
			t.Errorf("segment %s starts with %s %+v, want a rotation event", filepath.Base(s), r.Kind, r.Segment)
		}
	}
	rep, err := Verify(path, VerifyOptions{Verifier: k.verifier})
	if err != nil || !rep.Intact() {
		t.Fatalf("Verify: %v %v", err, rep.Problem)
	}
	if len(rep.Segments) != len(segs) {
		t.Errorf("verified %d segments, want %d", len(rep.Segments), len(segs))
	}

	// Deleting a closed segment in the middle is detected.
	os.Remove(segs[1])
	rep, err = Verify(path, VerifyOptions{Verifier: k.verifier})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Intact() || rep.Problem.Kind != ProblemDeleted {
		t.Fatalf("after deleting %s: %v, want deleted", filepath.Base(segs[1]), rep.Problem)
	}
}

func TestRetentionRemovesOldSegmentsAndRecordsIt(t *testing.T) {
	k := newKeys(t, "test")
	c := &clock{t: t0}
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openTest(t, path, Options{Now: c.now, Signer: k.signer, CheckpointEvery: 10, RotateSize: 2500, Retention: 2 * time.Hour})
	for range 60 {
		appendN(t, l, 1, DecisionDeny)
		c.add(10 * time.Minute)
	}
	recs := readAll(t, path)
	if recs[0].Seq == 1 {
		t.Fatal("retention removed nothing")
	}
	var retained uint64
	for _, r := range recs {
		if r.Kind == KindRetention {
			for _, s := range r.Removed {
				retained = max(retained, s.LastSeq)
				if _, err := os.Stat(filepath.Join(filepath.Dir(path), s.Name)); err == nil {
					t.Errorf("retention event names %s but it is still there", s.Name)
				}
			}
		}
	}
	if retained+1 != recs[0].Seq {
		t.Fatalf("retention events cover events up to %d, log starts at %d", retained, recs[0].Seq)
	}
	checkChain(t, recs)
	rep, err := Verify(path, VerifyOptions{Verifier: k.verifier})
	if err != nil || !rep.Intact() {
		t.Fatalf("Verify after retention: %v %v", err, rep.Problem)
	}
	if rep.Checkpoints == 0 {
		t.Fatal("no checkpoint was checked after retention")
	}

	// Removing the oldest remaining segment by hand is not retention.
	segs, _ := Segments(path)
	os.Remove(segs[0])
	rep, err = Verify(path, VerifyOptions{Verifier: k.verifier})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Intact() || rep.Problem.Kind != ProblemDeleted {
		t.Fatalf("after removing %s: %v, want deleted", filepath.Base(segs[0]), rep.Problem)
	}
}

func TestInterruptedRotationIsCompleted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openTest(t, path, Options{Now: (&clock{t: t0}).now})
	appendN(t, l, 5, DecisionAllow)
	// A rotation that renamed the active segment and died before the next.
	if err := os.Rename(path, segmentName(path, 1)); err != nil {
		t.Fatal(err)
	}
	seq, err := l.Append(context.Background(), Event{Kind: KindAgentAction})
	if err != nil {
		t.Fatal(err)
	}
	if seq != 7 {
		t.Fatalf("seq %d after the interrupted rotation, want 7 (6 opens the segment)", seq)
	}
	recs := readAll(t, path)
	checkChain(t, recs)
	if recs[5].Kind != KindRotation {
		t.Fatalf("event 6 is %s, want rotation", recs[5].Kind)
	}
	if rep, err := Verify(path, VerifyOptions{}); err != nil || !rep.Intact() {
		t.Fatalf("Verify: %v %v", err, rep.Problem)
	}
}
