package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wardenhq/warden/internal/finding"
)

// TestMain lets the test binary act as an appending process for the
// multi-process test (re-exec with WARDEN_AUDIT_HELPER set).
func TestMain(m *testing.M) {
	if spec := os.Getenv("WARDEN_AUDIT_HELPER"); spec != "" {
		os.Exit(helperAppend(spec))
	}
	os.Exit(m.Run())
}

// helperAppend appends N events tagged with a worker id: "path|worker|N".
// With WARDEN_AUDIT_HELPER_KEY it signs checkpoints every 1,000 events;
// with WARDEN_AUDIT_HELPER_LAT it writes each Append's latency (ns), one
// per line, to that file (for BenchmarkAppend16Processes).
func helperAppend(spec string) int {
	parts := strings.Split(spec, "|")
	n, _ := strconv.Atoi(parts[2])
	opts := Options{}
	if kp := os.Getenv("WARDEN_AUDIT_HELPER_KEY"); kp != "" {
		s, err := LoadSigner(kp)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		opts.Signer, opts.CheckpointEvery = s, 1000
	}
	// WARDEN_AUDIT_HELPER_SEALAFTER: the time bound (seal_test.go).
	if d, err := time.ParseDuration(os.Getenv("WARDEN_AUDIT_HELPER_SEALAFTER")); err == nil {
		opts.SealAfter = d
	}
	l, err := Open(parts[0], opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	defer l.Close()
	// Journal compaction knobs for TestJournalCompaction.
	if os.Getenv("WARDEN_AUDIT_HELPER_REMOVE") != "" {
		l.removeJournal = true
	}
	if n, err := strconv.ParseInt(os.Getenv("WARDEN_AUDIT_HELPER_COMPACT"), 10, 64); err == nil {
		l.compactSize = n
	}
	pace, _ := time.ParseDuration(os.Getenv("WARDEN_AUDIT_HELPER_PACE"))
	// WARDEN_AUDIT_HELPER_PLAIN: write plain JSON lines with O_APPEND (no
	// chain, no journal), the floor for the benchmark.
	var plain *os.File
	if os.Getenv("WARDEN_AUDIT_HELPER_PLAIN") != "" {
		if plain, err = os.OpenFile(parts[0]+".plain", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		defer plain.Close()
	}
	lat := make([]time.Duration, 0, n)
	// sealed[i]: append i sealed the journal itself (Append returned its
	// sequence number), for the benchmark's count of sealing appends.
	sealed := make([]bool, 0, n)
	for i := range n {
		if pace > 0 {
			time.Sleep(pace)
		}
		e := Event{Kind: KindAgentAction, Actor: Actor{Agent: "claude", Session: parts[1]},
			Summary: fmt.Sprintf("exec: step %d", i), Decision: DecisionAllow, Rules: []string{"r" + parts[1]}}
		start := time.Now()
		if plain != nil {
			line, err := e.marshal()
			if err == nil {
				_, err = plain.Write(append(line, '\n'))
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 3
			}
			lat = append(lat, time.Since(start))
			continue
		}
		seq, err := l.Append(context.Background(), e)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		lat = append(lat, time.Since(start))
		sealed = append(sealed, seq != 0)
	}
	if out := os.Getenv("WARDEN_AUDIT_HELPER_LAT"); out != "" {
		var b strings.Builder
		for i, d := range lat {
			fmt.Fprintf(&b, "%d", d.Nanoseconds())
			if i < len(sealed) && sealed[i] {
				b.WriteString(" s") // this append sealed
			}
			b.WriteByte('\n')
		}
		if err := os.WriteFile(out, []byte(b.String()), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
	}
	return 0
}

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }

// openTest opens a Log for a test. Unless the test sets SealBytes, every
// Append seals (SealBytes 1), so that it returns its sequence number and
// the log holds the event when it returns: these are the tests of what a
// seal does (repair, rotation, checkpoints, verify). Batching (the default)
// is tested by seal_test.go and the multi-process tests, which use the
// default options.
func openTest(t *testing.T, path string, opts Options) *Log {
	t.Helper()
	if opts.SealBytes == 0 {
		opts.SealBytes = 1
	}
	l, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func appendN(t *testing.T, l *Log, n int, decision string) {
	t.Helper()
	for i := range n {
		e := Event{Kind: KindAgentAction, Actor: Actor{Agent: "claude", Session: "s1"},
			Action: &Action{Kind: "exec", Tool: "Bash"}, Summary: fmt.Sprintf("exec: step %d", i),
			Decision: decision, Rules: []string{"cmd.rm-rf"}, PolicySHA256: strings.Repeat("ab", 32)}
		if _, err := l.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
}

func readAll(t *testing.T, path string) []Record {
	t.Helper()
	var out []Record
	if err := Read(path, ReadOptions{}, func(r Record) error {
		r.Line = append([]byte(nil), r.Line...)
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkChain asserts consecutive numbering and an intact hash chain.
func checkChain(t *testing.T, recs []Record) {
	t.Helper()
	prev := ""
	for i, r := range recs {
		if r.Seq != recs[0].Seq+uint64(i) {
			t.Fatalf("record %d has seq %d, want %d", i, r.Seq, recs[0].Seq+uint64(i))
		}
		if i > 0 && r.Prev != prev {
			t.Fatalf("event %d prev = %s, want %s", r.Seq, r.Prev, prev)
		}
		sum := sha256.Sum256(r.Line)
		prev = hex.EncodeToString(sum[:])
	}
}

func TestAppendWritesChainedEvents(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit", "audit.jsonl")
	c := &clock{t: t0}
	l := openTest(t, path, Options{Now: c.now})
	in := Event{
		Kind:  KindScanGate,
		Actor: Actor{User: "ana", Host: "ci-1"},
		Repo:  Repo{Name: "acme/api", Commit: "abc123", Release: "v1.0.0"},
		Scan:  &Scan{Scope: ScopeFull, Engines: []string{"secrets"}, Files: 12},
		Findings: []FindingRef{{Rule: "secrets.aws-access-key", Engine: "secrets", Severity: finding.SeverityCritical,
			Fingerprint: "f1", Path: "config/prod.env", Line: 3}},
		Decision: DecisionFail, Reasons: []string{"1 critical finding"},
	}
	for i := range 3 {
		seq, err := l.Append(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		if seq != uint64(i+1) {
			t.Fatalf("Append returned seq %d, want %d", seq, i+1)
		}
		c.add(time.Second)
	}
	recs := readAll(t, path)
	if len(recs) != 3 {
		t.Fatalf("read %d events, want 3", len(recs))
	}
	checkChain(t, recs)
	if recs[0].Prev != "" {
		t.Errorf("first event prev = %q, want empty", recs[0].Prev)
	}
	want := in
	want.V, want.Seq, want.Time = SchemaVersion, 2, t0.Add(time.Second)
	want.Prev = recs[1].Prev
	if diff := cmp.Diff(want, recs[1].Event); diff != "" {
		t.Errorf("event read back differs (-want +got):\n%s", diff)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("log mode = %v, want 0600", fi.Mode().Perm())
	}
}

func TestAppendRejectsBadEvents(t *testing.T) {
	l := openTest(t, filepath.Join(t.TempDir(), "audit.jsonl"), Options{})
	tests := map[string]Event{
		"no kind":          {Summary: "x"},
		"long excerpt":     {Kind: KindAgentAction, Excerpts: []string{strings.Repeat("x", MaxExcerpt+1)}},
		"too large":        {Kind: KindAgentAction, Paths: []string{strings.Repeat("p", MaxEventSize)}},
		"invalid severity": {Kind: KindScanGate, Findings: []FindingRef{{Rule: "r"}}},
	}
	for name, e := range tests {
		if _, err := l.Append(context.Background(), e); err == nil {
			t.Errorf("%s: Append succeeded, want an error", name)
		}
	}
	// Nothing was written half-way.
	if b, _ := os.ReadFile(l.Path()); len(b) != 0 {
		t.Errorf("log has %d bytes after rejected appends", len(b))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Append(ctx, Event{Kind: KindAgentAction}); err == nil {
		t.Error("Append with a cancelled context succeeded")
	}
}

// TestManyProcessesAppend runs 16 real processes appending 1,000 events
// each at the same time.
func TestManyProcessesAppend(t *testing.T) {
	const procs, each = 16, 1000
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var ps []*os.Process
	for w := range procs {
		env := append(os.Environ(), fmt.Sprintf("WARDEN_AUDIT_HELPER=%s|%d|%d", path, w, each))
		p, err := os.StartProcess(exe, []string{exe, "-test.run=^$"}, &os.ProcAttr{Env: env, Files: []*os.File{nil, os.Stdout, os.Stderr}})
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	for w, p := range ps {
		st, err := p.Wait()
		if err != nil {
			t.Fatal(err)
		}
		if !st.Success() {
			t.Fatalf("writer %d: %v", w, st)
		}
	}
	// The writers seal in batches (default options): what is not in the
	// chain yet waits in the journal, and read-only verification says so.
	rep, err := Verify(path, VerifyOptions{})
	if err != nil || !rep.Intact() {
		t.Fatalf("Verify before sealing: %v %+v", err, rep.Problem)
	}
	if rep.Events+rep.Pending != procs*each {
		t.Fatalf("before sealing: %d events in the log and %d pending, want %d in all", rep.Events, rep.Pending, procs*each)
	}
	t.Logf("%d events sealed by the writers, %d left for the reader", rep.Events, rep.Pending)
	// A reader seals the rest.
	r := openTest(t, path, Options{})
	if _, err := r.Seal(context.Background()); err != nil {
		t.Fatal(err)
	}
	recs := readAll(t, path)
	if len(recs) != procs*each {
		t.Fatalf("log has %d events, want %d", len(recs), procs*each)
	}
	checkChain(t, recs)
	// Each writer's events are all there, once, in its own order.
	next := make(map[string]int)
	for _, r := range recs {
		w := r.Actor.Session
		if want := fmt.Sprintf("exec: step %d", next[w]); r.Summary != want {
			t.Fatalf("writer %s: event %d summary %q, want %q", w, r.Seq, r.Summary, want)
		}
		next[w]++
	}
	if len(next) != procs {
		t.Fatalf("events from %d writers, want %d", len(next), procs)
	}
	if rep, err := Verify(path, VerifyOptions{}); err != nil || !rep.Intact() {
		t.Fatalf("Verify: %v %+v", err, rep.Problem)
	}
}

func TestTornLastLineIsRepaired(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openTest(t, path, Options{Now: (&clock{t: t0}).now})
	appendN(t, l, 5, DecisionDeny)
	// A writer killed mid-write leaves part of a line.
	frag := `{"v":1,"seq":6,"time":"2026-11-01T12:00:00Z","prev":"00`
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(frag)
	f.Close()

	if rep, err := Verify(path, VerifyOptions{}); err != nil || rep.Intact() || rep.Problem.Kind != ProblemTruncated {
		t.Fatalf("Verify before repair: err %v, problem %+v; want truncated", err, rep.Problem)
	}
	// A second Log (another process) appends next.
	l2 := openTest(t, path, Options{Now: (&clock{t: t0}).now})
	seq, err := l2.Append(context.Background(), Event{Kind: KindAgentAction, Summary: "after"})
	if err != nil {
		t.Fatal(err)
	}
	if seq != 7 {
		t.Fatalf("event after repair has seq %d, want 7 (6 is the repair)", seq)
	}
	recs := readAll(t, path)
	checkChain(t, recs)
	sum := sha256.Sum256([]byte(frag))
	wantSeg := &Segment{Name: "audit.jsonl", Bytes: int64(len(frag)), SHA256: hex.EncodeToString(sum[:])}
	if recs[5].Kind != KindRepair || !cmp.Equal(recs[5].Segment, wantSeg) {
		t.Fatalf("event 6 = %s %+v, want a repair of %+v", recs[5].Kind, recs[5].Segment, wantSeg)
	}
	if rep, err := Verify(path, VerifyOptions{}); err != nil || !rep.Intact() {
		t.Fatalf("Verify after repair: %v %+v", err, rep.Problem)
	}
	// The first Log notices the file changed under it and continues the chain.
	if seq, err := l.Append(context.Background(), Event{Kind: KindAgentAction}); err != nil || seq != 8 {
		t.Fatalf("Append from the first Log: seq %d, %v; want 8", seq, err)
	}
}

func TestRefsKeepsDependencyFacts(t *testing.T) {
	got := Refs([]finding.Finding{{
		RuleID: "deps.vulnerable", Engine: "deps", Severity: finding.SeverityHigh, Fingerprint: "fp",
		Location: finding.Location{Path: "go.mod", StartLine: 7},
		Metadata: map[string]string{"package": "golang.org/x/net", "version": "v0.1.0", "id": "GO-2023-0001", "published": "2023-02-01"},
	}})
	want := []FindingRef{{Rule: "deps.vulnerable", Engine: "deps", Severity: finding.SeverityHigh, Fingerprint: "fp",
		Path: "go.mod", Line: 7, Package: "golang.org/x/net", Version: "v0.1.0", Advisory: "GO-2023-0001",
		Published: time.Date(2023, 2, 1, 0, 0, 0, 0, time.UTC)}}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Refs (-want +got):\n%s", diff)
	}
}

func TestAppendBatch(t *testing.T) {
	k := newKeys(t, "test")
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openTest(t, path, Options{Now: (&clock{t: t0}).now, Signer: k.signer, CheckpointEvery: 10})
	appendN(t, l, 2, DecisionAllow)
	batch := make([]Event, 25)
	for i := range batch {
		batch[i] = Event{Kind: KindAgentAction, Summary: fmt.Sprintf("b%d", i)}
	}
	first, err := l.AppendBatch(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	recs := readAll(t, path)
	checkChain(t, recs)
	if recs[first-1].Summary != "b0" || recs[first+23].Summary != "b24" {
		t.Fatalf("batch not at %d..%d", first, first+24)
	}
	if last := recs[len(recs)-1]; last.Kind != KindCheckpoint {
		t.Errorf("no checkpoint after a batch of 25 with checkpoint_every 10 (last is %s)", last.Kind)
	}
	if rep, err := Verify(path, VerifyOptions{Verifier: k.verifier}); err != nil || !rep.Intact() {
		t.Fatalf("Verify: %v %v", err, rep.Problem)
	}
	// One bad event: nothing written.
	size := len(recs)
	if _, err := l.AppendBatch(context.Background(), []Event{{Kind: KindAgentAction}, {}}); err == nil {
		t.Fatal("a batch with an event without kind was accepted")
	}
	if got := len(readAll(t, path)); got != size {
		t.Fatalf("a rejected batch wrote %d events", got-size)
	}
}

// TestKilledWritersLeaveAVerifiableLog kills real appending processes
// (SIGKILL, at whatever point they are) and checks that the next append
// repairs whatever they left and the log verifies.
func TestKilledWritersLeaveAVerifiableLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		var ps []*os.Process
		for w := range 4 {
			env := append(os.Environ(), fmt.Sprintf("WARDEN_AUDIT_HELPER=%s|k%d-%d|%d", path, round, w, 1_000_000))
			p, err := os.StartProcess(exe, []string{exe, "-test.run=^$"}, &os.ProcAttr{Env: env, Files: []*os.File{nil, os.Stdout, os.Stderr}})
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, p)
		}
		// Let them write a while (at least some KiB more), then kill them.
		var start int64
		if fi, err := os.Stat(path); err == nil {
			start = fi.Size()
		}
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if fi, err := os.Stat(path); err == nil && fi.Size() > start+int64(8<<10*(round+1)) {
				break
			}
		}
		for _, p := range ps {
			p.Kill()
			p.Wait()
		}
		l := openTest(t, path, Options{})
		// A sealer killed with the lock leaves the seal flag set; writers
		// leave their records to it until the flag is stale (2 ms).
		for l.sealerActive() {
			time.Sleep(time.Millisecond)
		}
		if _, err := l.Append(context.Background(), Event{Kind: KindAgentAction, Summary: "after the kill"}); err != nil {
			t.Fatalf("round %d: append after killing writers: %v", round, err)
		}
		rep, err := Verify(path, VerifyOptions{})
		if err != nil || !rep.Intact() {
			t.Fatalf("round %d: %v %v", round, err, rep.Problem)
		}
		if rep.Events < 10*(round+1) {
			t.Fatalf("round %d: the killed writers wrote almost nothing (%d events)", round, rep.Events)
		}
	}
}
