package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The sealing triggers: an append seals only when a batch of bytes waits,
// when the last seal is SealAfter old, or when asked (AppendSealed, Seal,
// SealPending); events that wait are reported as pending and sealed by the
// next due append or reader, never lost or duplicated.

func agentEvent(i int) Event {
	return Event{Kind: KindAgentAction, Actor: Actor{Agent: "claude", Session: "s1"}, Summary: fmt.Sprintf("exec: step %d", i), Decision: DecisionAllow}
}

// inChain reads the sealed events' summaries, and the pending count.
func inChain(t *testing.T, path string) ([]string, int) {
	t.Helper()
	rep, err := Verify(path, VerifyOptions{})
	if err != nil || !rep.Intact() {
		t.Fatalf("Verify: %v %+v", err, rep.Problem)
	}
	recs := readAll(t, path)
	checkChain(t, recs)
	var out []string
	for _, r := range recs {
		out = append(out, r.Summary)
	}
	if rep.Events != len(recs) {
		t.Fatalf("Verify counts %d events, the log has %d", rep.Events, len(recs))
	}
	return out, rep.Pending
}

func steps(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("exec: step %d", i))
	}
	return out
}

func TestSealingBatchesByBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	c := &clock{t: t0}
	// A record of agentEvent is 170-odd bytes: 5 of them pass 800.
	l := openTest(t, path, Options{Now: c.now, SealBytes: 800, SealAfter: time.Hour})
	ctx := context.Background()
	// The first append of a log seals (nothing says when the last seal was).
	if seq, err := l.Append(ctx, agentEvent(0)); err != nil || seq != 1 {
		t.Fatalf("first Append: %d, %v; want 1", seq, err)
	}
	var sealedAt int
	for i := 1; i < 20; i++ {
		seq, err := l.Append(ctx, agentEvent(i))
		if err != nil {
			t.Fatal(err)
		}
		got, pending := inChain(t, path)
		if seq == 0 {
			if len(got)+pending != i+1 {
				t.Fatalf("after append %d: %d sealed + %d pending, want %d", i, len(got), pending, i+1)
			}
			continue
		}
		// The append that crossed the batch size sealed everything.
		if seq != uint64(i+1) || pending != 0 || !cmp.Equal(got, steps(0, i+1)) {
			t.Fatalf("append %d sealed as %d: log %q, %d pending", i, seq, got, pending)
		}
		if sealedAt == 0 && i < 4 {
			t.Fatalf("append %d sealed: the batch is 800 bytes, about 5 records", i)
		}
		if sealedAt != 0 && i-sealedAt > 6 {
			t.Fatalf("appends %d to %d did not seal: the batch is 800 bytes", sealedAt, i)
		}
		sealedAt = i
	}
	if sealedAt == 0 {
		t.Fatal("no append sealed a batch")
	}
}

func TestSealingAfterTheTimeBound(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	c := &clock{t: t0}
	l := openTest(t, path, Options{Now: c.now, SealBytes: 1 << 30, SealAfter: 5 * time.Second})
	ctx := context.Background()
	if seq, err := l.Append(ctx, agentEvent(0)); err != nil || seq != 1 {
		t.Fatalf("first Append: %d, %v; want 1", seq, err)
	}
	for i := 1; i <= 3; i++ {
		c.add(time.Second)
		if seq, err := l.Append(ctx, agentEvent(i)); err != nil || seq != 0 {
			t.Fatalf("Append %d, %v after %d s; want it to wait", seq, err, i)
		}
	}
	if got, pending := inChain(t, path); len(got) != 1 || pending != 3 {
		t.Fatalf("log %q with %d pending; want 1 sealed and 3 pending", got, pending)
	}
	c.add(2 * time.Second) // 5 s after the last seal
	if seq, err := l.Append(ctx, agentEvent(4)); err != nil || seq != 5 {
		t.Fatalf("Append at the bound: %d, %v; want 5", seq, err)
	}
	if got, pending := inChain(t, path); !cmp.Equal(got, steps(0, 5)) || pending != 0 {
		t.Fatalf("log %q with %d pending after the bound", got, pending)
	}
	// The bound is never longer than the checkpoint interval.
	l2 := openTest(t, filepath.Join(t.TempDir(), "audit.jsonl"), Options{Now: c.now, SealBytes: 1 << 30, CheckpointInterval: 100 * time.Millisecond})
	if l2.sealAfter != 100*time.Millisecond {
		t.Fatalf("sealAfter %v with CheckpointInterval 100ms, want 100ms", l2.sealAfter)
	}
	l3, err := Open(filepath.Join(t.TempDir(), "audit.jsonl"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l3.Close()
	if l3.sealBytes != DefaultSealBytes || l3.sealAfter != DefaultSealAfter {
		t.Fatalf("defaults %d %v", l3.sealBytes, l3.sealAfter)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "audit.jsonl"), Options{SealBytes: -1}); err == nil {
		t.Fatal("negative SealBytes accepted")
	}
}

// A last seal recorded in the future (a clock that jumped back, or a
// forged page) does not stop appends from sealing.
func TestSealingWithAFutureLastSeal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	c := &clock{t: t0}
	l := openTest(t, path, Options{Now: c.now, SealBytes: 1 << 30, SealAfter: 5 * time.Second})
	ctx := context.Background()
	appendN(t, l, 1, DecisionAllow)
	if l.flag == nil {
		t.Fatal("the shared page is not mapped")
	}
	atomic.StoreInt64(l.pageWord(wordSealedAt), t0.Add(time.Hour).UnixNano())
	if seq, err := l.Append(ctx, agentEvent(1)); err != nil || seq != 2 {
		t.Fatalf("Append with a last seal an hour ahead: %d, %v; want 2", seq, err)
	}
}

func TestExplicitSealing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	c := &clock{t: t0}
	opts := Options{Now: c.now, SealBytes: 1 << 30, SealAfter: time.Hour}
	l := openTest(t, path, opts)
	ctx := context.Background()
	for i := range 3 {
		l.Append(ctx, agentEvent(i))
	}
	// AppendSealed seals what waits, then its own event, and says which.
	seq, err := l.AppendSealed(ctx, agentEvent(3))
	if err != nil || seq != 4 {
		t.Fatalf("AppendSealed: %d, %v; want 4", seq, err)
	}
	if got, pending := inChain(t, path); !cmp.Equal(got, steps(0, 4)) || pending != 0 {
		t.Fatalf("after AppendSealed: %q, %d pending", got, pending)
	}
	// SealPending seals what waits, and does nothing when nothing does.
	l.Append(ctx, agentEvent(4))
	if _, pending := inChain(t, path); pending != 1 {
		t.Fatalf("%d pending, want 1", pending)
	}
	if err := l.SealPending(ctx); err != nil {
		t.Fatal(err)
	}
	if got, pending := inChain(t, path); !cmp.Equal(got, steps(0, 5)) || pending != 0 {
		t.Fatalf("after SealPending: %q, %d pending", got, pending)
	}
	fi, _ := os.Stat(path)
	if err := l.SealPending(ctx); err != nil {
		t.Fatal(err)
	}
	if fi2, _ := os.Stat(path); fi2.Size() != fi.Size() {
		t.Fatalf("SealPending with nothing pending wrote %d bytes", fi2.Size()-fi.Size())
	}
	// Another Log (another process) seals what this one left, as readers do.
	l.Append(ctx, agentEvent(5))
	r := openTest(t, path, opts)
	if seq, err := r.Seal(ctx); err != nil || seq != 6 {
		t.Fatalf("Seal: %d, %v; want 6", seq, err)
	}
	// SealEvery seals in the background.
	l.Append(ctx, agentEvent(6))
	bg, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { r.SealEvery(bg, time.Millisecond); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		// Verify only: the log may grow between two reads.
		if rep, err := Verify(path, VerifyOptions{}); err == nil && rep.Pending == 0 && rep.Events == 7 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("SealEvery did not seal within 10 s")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if got, _ := inChain(t, path); !cmp.Equal(got, steps(0, 7)) {
		t.Fatalf("after SealEvery: %q", got)
	}
}

// A process that appends once and exits (a hook) leaves its event in the
// journal: verify counts it as pending, and the next reader, or the next
// appender once the time bound passed, seals it.
func TestOneShotProcessEventIsSealedByTheNext(t *testing.T) {
	for _, next := range []string{"reader", "appender"} {
		t.Run(next, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.jsonl")
			const bound = 200 * time.Millisecond
			l := openTest(t, path, Options{SealBytes: 1 << 30, SealAfter: bound})
			ctx := context.Background()
			appendN(t, l, 1, DecisionAllow) // the first append seals
			exe, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			env := append(os.Environ(), fmt.Sprintf("WARDEN_AUDIT_HELPER=%s|hook|1", path), "WARDEN_AUDIT_HELPER_SEALAFTER=1h")
			p, err := os.StartProcess(exe, []string{exe, "-test.run=^$"}, &os.ProcAttr{Env: env, Files: []*os.File{nil, os.Stdout, os.Stderr}})
			if err != nil {
				t.Fatal(err)
			}
			if st, err := p.Wait(); err != nil || !st.Success() {
				t.Fatalf("hook process: %v %v", st, err)
			}
			if got, pending := inChain(t, path); len(got) != 1 || pending != 1 {
				t.Fatalf("after the hook exited: %q, %d pending; want its event pending", got, pending)
			}
			switch next {
			case "reader":
				r := openTest(t, path, Options{})
				if _, err := r.Seal(ctx); err != nil {
					t.Fatal(err)
				}
			case "appender":
				time.Sleep(bound)
				seq, err := l.Append(ctx, agentEvent(9))
				if err != nil || seq != 3 {
					t.Fatalf("Append after the bound: %d, %v; want 3", seq, err)
				}
			}
			got, pending := inChain(t, path)
			want := []string{"exec: step 0", "exec: step 0"} // appendN's, the hook's
			if next == "appender" {
				want = append(want, "exec: step 9")
			}
			if !cmp.Equal(got, want) || pending != 0 {
				t.Fatalf("after the %s: %q, %d pending; want %q", next, got, pending, want)
			}
		})
	}
}

// Writers batching their seals, each with its own Log (as processes), with
// a small batch so that sealing changes hands often: every event is in the
// chain once, in each writer's order, after a reader sealed the rest.
func TestBatchedWritersLoseNothing(t *testing.T) {
	const writers, each = 12, 300
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	var wg sync.WaitGroup
	for w := range writers {
		l := openTest(t, path, Options{SealBytes: 2 << 10})
		wg.Go(func() {
			for i := range each {
				e := Event{Kind: KindAgentAction, Actor: Actor{Session: fmt.Sprint(w)}, Summary: fmt.Sprintf("exec: step %d", i)}
				if _, err := l.Append(context.Background(), e); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	rep, err := Verify(path, VerifyOptions{})
	if err != nil || !rep.Intact() || rep.Events+rep.Pending != writers*each {
		t.Fatalf("before the reader: %v, %d events + %d pending, want %d", err, rep.Events, rep.Pending, writers*each)
	}
	r := openTest(t, path, Options{})
	if _, err := r.Seal(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkWriters(t, path, writers*each)
}

// A due writer that finds the seal lock taken leaves its record to the
// holder and says so (the wanted word); if the holder does not seal it
// (killed), the next append seals even though nothing else makes it due.
func TestWantedHandsSealingOn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	ca, cc := &clock{t: t0}, &clock{t: t0}
	opts := Options{SealBytes: 1 << 30, SealAfter: 5 * time.Second}
	a := openTest(t, path, Options{Now: ca.now, SealBytes: opts.SealBytes, SealAfter: opts.SealAfter})
	ctx := context.Background()
	if seq, err := a.Append(ctx, agentEvent(0)); err != nil || seq != 1 {
		t.Fatalf("first Append: %d, %v", seq, err)
	}
	holder := openTest(t, path, opts)
	if err := lockFile(holder.lockf); err != nil {
		t.Fatal(err)
	}
	ca.add(10 * time.Second) // due by time for a
	if seq, err := a.Append(ctx, agentEvent(1)); err != nil || seq != 0 {
		t.Fatalf("Append while another holds the lock: %d, %v; want 0", seq, err)
	}
	if atomic.LoadInt64(a.pageWord(wordWanted)) == 0 {
		t.Fatal("the due writer did not set the wanted word")
	}
	unlockFile(holder.lockf) // the holder goes away without looking again
	c := openTest(t, path, Options{Now: cc.now, SealBytes: opts.SealBytes, SealAfter: opts.SealAfter})
	if seq, err := c.Append(ctx, agentEvent(2)); err != nil || seq != 3 {
		t.Fatalf("next Append: %d, %v; want 3 (wanted makes it seal)", seq, err)
	}
	if got, pending := inChain(t, path); !cmp.Equal(got, steps(0, 3)) || pending != 0 {
		t.Fatalf("log %q, %d pending", got, pending)
	}
	if atomic.LoadInt64(a.pageWord(wordWanted)) != 0 {
		t.Fatal("the wanted word stayed set after the seal")
	}
}

// Rotation and checkpoints happen in whichever append seals: with batches,
// the chain still runs across segments, checkpoints verify, and every event
// is there once, in order.
func TestBatchedSealingRotatesAndCheckpoints(t *testing.T) {
	k := newKeys(t, "test")
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	c := &clock{t: t0}
	l := openTest(t, path, Options{Now: c.now, Signer: k.signer, CheckpointEvery: 7, RotateSize: 3000, SealBytes: 1 << 10, SealAfter: time.Hour})
	ctx := context.Background()
	sealed := 0
	for i := range 60 {
		seq, err := l.Append(ctx, agentEvent(i))
		if err != nil {
			t.Fatal(err)
		}
		if seq != 0 {
			sealed++
		}
	}
	if sealed < 5 || sealed > 30 {
		t.Fatalf("%d of 60 appends sealed with a 1 KiB batch; want a batch every few", sealed)
	}
	if _, err := l.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	segs, err := Segments(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) < 3 {
		t.Fatalf("%d segments, want rotation to make at least 3", len(segs))
	}
	rep, err := Verify(path, VerifyOptions{Verifier: k.verifier})
	if err != nil || !rep.Intact() || rep.Pending != 0 || rep.Checkpoints < 5 {
		t.Fatalf("Verify: %v %+v, %d checkpoints, %d pending", err, rep.Problem, rep.Checkpoints, rep.Pending)
	}
	recs := readAll(t, path)
	checkChain(t, recs)
	var got []string
	for _, r := range recs {
		if r.Kind == KindAgentAction {
			got = append(got, r.Summary)
		}
	}
	if !cmp.Equal(got, steps(0, 60)) {
		t.Fatalf("agent events %q", got)
	}
}
