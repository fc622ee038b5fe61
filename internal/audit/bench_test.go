package audit

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/finding"
)

// benchEvents is the size of the synthetic log for verify benchmarks
// (WARDEN_BENCH_EVENTS, default 1,000,000).
func benchEvents() int {
	if n, err := strconv.Atoi(os.Getenv("WARDEN_BENCH_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// realisticEvent is an agent decision of typical size (about 400 bytes).
func realisticEvent(i int) Event {
	e := Event{Kind: KindAgentAction, Actor: Actor{Agent: "claude", Session: "9f3c2a71-5d1e-4b8e-a0c4-" + strconv.Itoa(i%97), User: "ana", Host: "dev-laptop"},
		Repo:   Repo{Name: "acme/api", Commit: "4b825dc642cb6eb9a060e54bf8d69288fbee4904"},
		Action: &Action{Kind: "exec", Tool: "Bash", Event: "PreToolUse"}, Summary: "exec: go test ./internal/...",
		Rules: []string{"cmd.allowlist"}, Decision: DecisionAllow, PolicySHA256: "d83b385376b36cd6efdae89c1305df60bacbcb36b5b4d4a8048dbddba9abe612"}
	if i%10 == 0 {
		e.Decision, e.Rules, e.Reasons = DecisionDeny, []string{"agent.read-secret-file"}, []string{".env holds secrets"}
		e.Action.Kind, e.Summary, e.Paths = "read", "read .env", []string{".env"}
	}
	if i%50 == 0 {
		e.Kind, e.Action = KindScanGate, nil
		e.Scan = &Scan{Scope: ScopeFull}
		e.Findings = []FindingRef{{Rule: "secrets.github-token", Engine: "secrets", Severity: finding.SeverityCritical, Fingerprint: fmt.Sprintf("%032x", i%500), Path: "cfg.go", Line: 3}}
	}
	return e
}

// WriteSyntheticLog writes n chained events (with a checkpoint every
// checkpointEvery when k is set) straight to a file, as Append would, but
// without locking: for benchmarks only.
func writeSyntheticLog(tb testing.TB, path string, n int, k *keys, checkpointEvery int) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var tree frontier
	prev := ""
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for seq := 1; seq <= n; seq++ {
		var e Event
		if k != nil && checkpointEvery > 0 && seq%checkpointEvery == 0 {
			msg, err := signCheckpoint(Checkpoint{Size: tree.n, Root: tree.root()}, k.signer)
			if err != nil {
				tb.Fatal(err)
			}
			e = Event{Kind: KindCheckpoint, Checkpoint: msg}
		} else {
			e = realisticEvent(seq)
		}
		e.V, e.Seq, e.Prev, e.Time = SchemaVersion, uint64(seq), prev, t.Add(time.Duration(seq)*time.Second)
		b, err := e.marshal()
		if err != nil {
			tb.Fatal(err)
		}
		w.Write(b)
		w.WriteByte('\n')
		prev = lineHash(b)
		tree.addRecord(b)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
}

func BenchmarkAppend(b *testing.B) {
	l, err := Open(filepath.Join(b.TempDir(), "audit.jsonl"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	e := realisticEvent(1)
	ctx := context.Background()
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := l.Append(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N)/1e3, "cpu-µs/op")
}

// BenchmarkAppend16Writers runs 16 writers, each with its own Log (its
// own descriptor and flock, as 16 processes would have), and reports the
// latency percentiles of a single Append.
func BenchmarkAppend16Writers(b *testing.B) {
	const writers = 16
	path := filepath.Join(b.TempDir(), "audit.jsonl")
	k := newKeys(b, "bench")
	logs := make([]*Log, writers)
	for i := range logs {
		l, err := Open(path, Options{Signer: k.signer, CheckpointEvery: 1000})
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		logs[i] = l
	}
	per := max(b.N/writers, 1)
	lat := make([][]time.Duration, writers)
	var wg sync.WaitGroup
	b.ResetTimer()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := realisticEvent(w)
			ctx := context.Background()
			lat[w] = make([]time.Duration, 0, per)
			for range per {
				start := time.Now()
				if _, err := logs[w].Append(ctx, e); err != nil {
					b.Error(err)
					return
				}
				lat[w] = append(lat[w], time.Since(start))
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	reportLatency(b, all)
}

func BenchmarkVerify(b *testing.B) {
	n := benchEvents()
	k := newKeys(b, "bench")
	path := filepath.Join(b.TempDir(), "audit.jsonl")
	writeSyntheticLog(b, path, n, &k, 1000)
	fi, _ := os.Stat(path)
	b.SetBytes(fi.Size())
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		rep, err := Verify(path, VerifyOptions{Verifier: k.verifier})
		if err != nil || !rep.Intact() || rep.Events != n {
			b.Fatalf("verify: %v %+v", err, rep)
		}
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(n), "events")
}

// BenchmarkAppendPlainBaseline16 is what a hand-written hook does: 16
// writers each appending a JSON line with O_APPEND, no lock, no chain, no
// checkpoint. It is the floor against which Append's overhead is read.
func BenchmarkAppendPlainBaseline16(b *testing.B) {
	const writers = 16
	path := filepath.Join(b.TempDir(), "plain.jsonl")
	per := max(b.N/writers, 1)
	lat := make([][]time.Duration, writers)
	var wg sync.WaitGroup
	b.ResetTimer()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
			if err != nil {
				b.Error(err)
				return
			}
			defer f.Close()
			e := realisticEvent(w)
			lat[w] = make([]time.Duration, 0, per)
			for range per {
				start := time.Now()
				line, _ := e.marshal()
				if _, err := f.Write(append(line, '\n')); err != nil {
					b.Error(err)
					return
				}
				lat[w] = append(lat[w], time.Since(start))
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	reportLatency(b, all)
}

// BenchmarkAppend16Processes is the case the target is about: 16 separate
// processes (each agent hook is one) appending at once to a signed log
// (checkpoint every 1,000 events). It reports per-Append latency
// percentiles over all processes; b.N is the total number of events.
func BenchmarkAppend16Processes(b *testing.B) { benchProcesses(b, 0, false) }

// BenchmarkAppendPlain16Processes is the floor for the one above: the same
// 16 processes each writing a plain JSON line with O_APPEND (what a
// hand-written hook does: no chain, no journal, no lock, no checkpoint).
// On 2 cores, 16 processes in a tight loop are preempted mid-write as
// often as anything they do takes CPU time, so even this has a tail.
func BenchmarkAppendPlain16Processes(b *testing.B) { benchProcesses(b, 0, true) }

// BenchmarkAppend1Process: one process appending alone (a hook at a time).
func BenchmarkAppend1Process(b *testing.B) { benchProcessesN(b, 1, 0, false) }

// BenchmarkAppend16ProcessesPaced: the same 16 processes, each appending
// once per millisecond (16,000 events/s in all, far above what agents
// produce) instead of in a tight loop that keeps 16 writers runnable on
// the machine's cores.
func BenchmarkAppend16ProcessesPaced(b *testing.B) { benchProcesses(b, time.Millisecond, false) }

// BenchmarkAppendPlain16ProcessesPaced is the floor for the one above:
// plain O_APPEND JSON lines at the same pace.
func BenchmarkAppendPlain16ProcessesPaced(b *testing.B) { benchProcesses(b, time.Millisecond, true) }

func benchProcesses(b *testing.B, pace time.Duration, plain bool) {
	benchProcessesN(b, 16, pace, plain)
}

func benchProcessesN(b *testing.B, procs int, pace time.Duration, plain bool) {
	dir := b.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	skey, _, err := GenerateKey(nil, "bench")
	if err != nil {
		b.Fatal(err)
	}
	keyPath := filepath.Join(dir, "audit.key")
	if err := os.WriteFile(keyPath, []byte(skey), 0o600); err != nil {
		b.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	per := max(b.N/procs, 1)
	b.ResetTimer()
	var ps []*os.Process
	for w := range procs {
		env := append(os.Environ(), fmt.Sprintf("WARDEN_AUDIT_HELPER=%s|%d|%d", path, w, per),
			"WARDEN_AUDIT_HELPER_KEY="+keyPath, fmt.Sprintf("WARDEN_AUDIT_HELPER_LAT=%s/lat%d", dir, w),
			"WARDEN_AUDIT_HELPER_PACE="+pace.String())
		if plain {
			env = append(env, "WARDEN_AUDIT_HELPER_PLAIN=1")
		}
		p, err := os.StartProcess(exe, []string{exe, "-test.run=^$"}, &os.ProcAttr{Env: env, Files: []*os.File{nil, os.Stdout, os.Stderr}})
		if err != nil {
			b.Fatal(err)
		}
		ps = append(ps, p)
	}
	for _, p := range ps {
		if st, err := p.Wait(); err != nil || !st.Success() {
			b.Fatalf("writer: %v %v", st, err)
		}
	}
	b.StopTimer()
	var all, sealing, other []time.Duration
	for w := range procs {
		data, err := os.ReadFile(fmt.Sprintf("%s/lat%d", dir, w))
		if err != nil {
			b.Fatal(err)
		}
		for line := range strings.Lines(string(data)) {
			ns, mark, _ := strings.Cut(strings.TrimSpace(line), " ")
			n, _ := strconv.ParseInt(ns, 10, 64)
			all = append(all, time.Duration(n))
			if mark == "s" {
				sealing = append(sealing, time.Duration(n))
			} else {
				other = append(other, time.Duration(n))
			}
		}
	}
	reportLatency(b, all)
	b.ReportMetric(float64(overMS(all)), "n>1ms")
	if plain {
		return
	}
	// Which appends sealed (Append returned their sequence number) and
	// what they cost, against the appends that only wrote the journal.
	b.ReportMetric(100*float64(len(sealing))/float64(len(all)), "sealing-%")
	if len(sealing) > 0 {
		slices.Sort(sealing)
		b.ReportMetric(float64(pctile(sealing, 0.50).Microseconds()), "seal-p50-µs")
		b.ReportMetric(float64(pctile(sealing, 0.99).Microseconds()), "seal-p99-µs")
	}
	b.ReportMetric(float64(overMS(sealing)), "sealing>1ms")
	if len(other) > 0 {
		slices.Sort(other)
		b.ReportMetric(float64(pctile(other, 0.99).Microseconds()), "noseal-p99-µs")
	}
	// The last batch waits in the journal for a reader (outside the
	// measured appends): seal it, then every event must be in the chain.
	r, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Seal(context.Background()); err != nil {
		b.Fatal(err)
	}
	if rep, err := Verify(path, VerifyOptions{}); err != nil || !rep.Intact() || rep.Events < procs*per || rep.Pending != 0 {
		b.Fatalf("log after the benchmark: %v %+v", err, rep)
	}
}

// reportLatency reports the p50, p99 and p99.9 of the per-append latencies.
func reportLatency(b *testing.B, all []time.Duration) {
	slices.Sort(all)
	pct := func(p float64) float64 { return float64(pctile(all, p).Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	b.ReportMetric(pct(0.999), "p99.9-µs")
}

// pctile is the p-quantile of sorted latencies.
func pctile(sorted []time.Duration, p float64) time.Duration {
	return sorted[int(float64(len(sorted)-1)*p)]
}

// overMS counts latencies above 1 ms.
func overMS(ds []time.Duration) (n int) {
	for _, d := range ds {
		if d > time.Millisecond {
			n++
		}
	}
	return n
}
