package audit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type keys struct {
	signer   note.Signer
	verifier note.Verifier
}

func newKeys(t testing.TB, name string) keys {
	t.Helper()
	skey, vkey, err := GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := ParseVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return keys{s, v}
}

// signedLog writes n agent events with a checkpoint every 5 and returns the
// path and its lines.
func signedLog(t *testing.T, k keys, n int) (string, [][]byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openTest(t, path, Options{Now: (&clock{t: t0}).now, Signer: k.signer, CheckpointEvery: 5})
	appendN(t, l, n, DecisionAllow)
	l.Close()
	return path, fileLines(t, path)
}

func fileLines(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.SplitAfter(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
}

func writeLines(t *testing.T, path string, lines [][]byte) {
	t.Helper()
	var b []byte
	for _, l := range lines {
		b = append(b, l...)
		if !bytes.HasSuffix(l, []byte("\n")) {
			b = append(b, '\n')
		}
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// rechain rewrites every prev after an edit, as an attacker without the
// signing key would, to hide the edit from the chain.
func rechain(t *testing.T, lines [][]byte) [][]byte {
	t.Helper()
	out := make([][]byte, len(lines))
	prev := ""
	for i, l := range lines {
		e, err := ParseEvent(bytes.TrimSuffix(l, []byte("\n")))
		if err != nil {
			t.Fatal(err)
		}
		e.Prev = prev
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		prev = lineHash(b)
		out[i] = append(b, '\n')
	}
	return out
}

// seqLine finds the index of event seq in lines.
func seqLine(t *testing.T, lines [][]byte, seq uint64) int {
	t.Helper()
	for i, l := range lines {
		if s, err := lineSeq(bytes.TrimSuffix(l, []byte("\n"))); err == nil && s == seq {
			return i
		}
	}
	t.Fatalf("event %d not found", seq)
	return -1
}

func TestVerifyIntactSignedLog(t *testing.T) {
	k := newKeys(t, "test")
	path, lines := signedLog(t, k, 23)
	rep, err := Verify(path, VerifyOptions{Verifier: k.verifier})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Intact() {
		t.Fatalf("intact log reported %v", rep.Problem)
	}
	if rep.Events != len(lines) || rep.LastSeq != uint64(len(lines)) || rep.Checkpoints < 4 {
		t.Errorf("report %+v: want %d events and at least 4 checkpoints", rep, len(lines))
	}
}

func TestVerifyDetects(t *testing.T) {
	k := newKeys(t, "test")
	other := newKeys(t, "test") // same name, different key
	tests := []struct {
		name    string
		tamper  func(t *testing.T, path string, lines [][]byte) VerifyOptions
		kind    ProblemKind
		seq     uint64
		line    int // expected 1-based line of the bad event, 0: not checked
		message string
	}{
		{name: "edited", kind: ProblemEdited, seq: 9, line: 9, message: "event 9 was changed",
			tamper: func(t *testing.T, path string, lines [][]byte) VerifyOptions {
				i := seqLine(t, lines, 9)
				lines[i] = bytes.Replace(lines[i], []byte("exec: step"), []byte("exec: stop"), 1)
				writeLines(t, path, lines)
				return VerifyOptions{Verifier: k.verifier}
			}},
		{name: "deleted", kind: ProblemDeleted, seq: 9, message: "event 9 is missing",
			tamper: func(t *testing.T, path string, lines [][]byte) VerifyOptions {
				i := seqLine(t, lines, 9)
				writeLines(t, path, append(lines[:i:i], lines[i+1:]...))
				return VerifyOptions{Verifier: k.verifier}
			}},
		{name: "deleted-several", kind: ProblemDeleted, seq: 9, message: "events 9-11 are missing",
			tamper: func(t *testing.T, path string, lines [][]byte) VerifyOptions {
				i := seqLine(t, lines, 9)
				writeLines(t, path, append(lines[:i:i], lines[i+3:]...))
				return VerifyOptions{Verifier: k.verifier}
			}},
		{name: "inserted-duplicate", kind: ProblemInserted, seq: 9, line: 10,
			tamper: func(t *testing.T, path string, lines [][]byte) VerifyOptions {
				i := seqLine(t, lines, 9)
				fake := bytes.Replace(lines[i], []byte("exec: step"), []byte("exec: fake"), 1)
				out := append(append(append([][]byte{}, lines[:i+1]...), fake), lines[i+1:]...)
				writeLines(t, path, out)
				return VerifyOptions{Verifier: k.verifier}
			}},
		{name: "inserted-duplicate-before", kind: ProblemInserted, seq: 9, line: 9,
			tamper: func(t *testing.T, path string, lines [][]byte) VerifyOptions {
				i := seqLine(t, lines, 9)
				fake := bytes.Replace(lines[i], []byte("exec: step"), []byte("exec: fake"), 1)
				out := append(append(append([][]byte{}, lines[:i]...), fake), lines[i:]...)
				writeLines(t, path, out)
				return VerifyOptions{Verifier: k.verifier}
			}},
		{name: "inserted-new-number", kind: ProblemInserted, seq: 999, line: 9,
			tamper: func(t *testing.T, path string, lines [][]byte) VerifyOptions {
				i := seqLine(t, lines, 9)
				fake := bytes.Replace(lines[i], []byte(`"seq":9,`), []byte(`"seq":999,`), 1)
				out := append(append(append([][]byte{}, lines[:i]...), fake), lines[i:]...)
				writeLines(t, path, out)
				return VerifyOptions{Verifier: k.verifier}
			}},
		{name: "reordered", kind: ProblemReordered, seq: 10, line: 9,
			tamper: func(t *testing.T, path string, lines [][]byte) VerifyOptions {
				i := seqLine(t, lines, 9)
				lines[i], lines[i+1] = lines[i+1], lines[i]
				writeLines(t, path, lines)
				return VerifyOptions{Verifier: k.verifier}
			}},
		{name: "truncated-tail", kind: ProblemTruncated, seq: 20,
			tamper: func(t *testing.T, path string, lines [][]byte) VerifyOptions {
				writeLines(t, path, lines[:19]) // the latest checkpoint covers more
				return VerifyOptions{Verifier: k.verifier}
			}},
		{name: "truncated-against-trusted", kind: ProblemTruncated, seq: 15,
			tamper: func(t *testing.T, path string, lines [][]byte) VerifyOptions {
				trusted, err := os.ReadFile(path + ".checkpoint")
				if err != nil {
					t.Fatal(err)
				}
				os.Remove(path + ".checkpoint") // the attacker removes the local copy too
				writeLines(t, path, lines[:14])
				return VerifyOptions{Verifier: k.verifier, Trusted: string(trusted)}
			}},
		{name: "truncated-mid-event", kind: ProblemTruncated, seq: 25, line: 25,
			tamper: func(t *testing.T, path string, lines [][]byte) VerifyOptions {
				b, _ := os.ReadFile(path)
				os.WriteFile(path, b[:len(b)-10], 0o600)
				return VerifyOptions{Verifier: k.verifier}
			}},
		{name: "forged-checkpoint", kind: ProblemForgedCheckpoint, seq: 7, line: 7,
			tamper: func(t *testing.T, path string, lines [][]byte) VerifyOptions {
				for i, l := range lines {
					e, _ := ParseEvent(bytes.TrimSuffix(l, []byte("\n")))
					if e.Kind == KindCheckpoint && e.Seq > 5 {
						c, _ := parseCheckpointBody(e.Checkpoint)
						msg, err := signCheckpoint(c, other.signer)
						if err != nil {
							t.Fatal(err)
						}
						e.Checkpoint = msg
						b, _ := json.Marshal(e)
						lines[i] = append(b, '\n')
						writeLines(t, path, lines)
						return VerifyOptions{Verifier: k.verifier}
					}
				}
				t.Fatal("no checkpoint")
				return VerifyOptions{}
			}},
		{name: "forged-latest-checkpoint-file", kind: ProblemForgedCheckpoint,
			tamper: func(t *testing.T, path string, lines [][]byte) VerifyOptions {
				msg, err := signCheckpoint(Checkpoint{Size: 100}, other.signer)
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(path+".checkpoint", []byte(msg), 0o600)
				return VerifyOptions{Verifier: k.verifier}
			}},
		{name: "rewritten", kind: ProblemRewritten, seq: 7, line: 12, message: "one of events 7-11",
			tamper: func(t *testing.T, path string, lines [][]byte) VerifyOptions {
				i := seqLine(t, lines, 9)
				lines[i] = bytes.Replace(lines[i], []byte("exec: step"), []byte("exec: stop"), 1)
				writeLines(t, path, rechain(t, lines))
				return VerifyOptions{Verifier: k.verifier}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path, lines := signedLog(t, k, 20)
			opts := tc.tamper(t, path, lines)
			rep, err := Verify(path, opts)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Intact() {
				t.Fatalf("tampered log reported intact: %+v", rep)
			}
			p := rep.Problem
			t.Logf("%v", p)
			if p.Kind != tc.kind {
				t.Fatalf("problem %v, want kind %s", p, tc.kind)
			}
			if tc.seq != 0 && p.Seq != tc.seq {
				t.Errorf("problem %v names event %d, want %d", p, p.Seq, tc.seq)
			}
			if tc.line != 0 && p.Line != tc.line {
				t.Errorf("problem %v names line %d, want %d", p, p.Line, tc.line)
			}
			if !strings.Contains(p.Message, tc.message) {
				t.Errorf("problem message %q does not say %q", p.Message, tc.message)
			}
		})
	}
}

func TestProofs(t *testing.T) {
	k := newKeys(t, "test")
	path, _ := signedLog(t, k, 12)
	msg, err := os.ReadFile(path + ".checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	latest, err := OpenCheckpoint(string(msg), k.verifier)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := BuildTree(path, 7)
	if err != nil {
		t.Fatal(err)
	}
	if root, err := tree.Root(latest.Size); err != nil || root != latest.Root {
		t.Fatalf("tree root at %d = %v, %v; want the signed root", latest.Size, root, err)
	}
	p, err := tree.ProveInclusion(7, latest.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckInclusion(p, latest, 7, tree.Line(7)); err != nil {
		t.Errorf("inclusion proof of event 7: %v", err)
	}
	if err := CheckInclusion(p, latest, 7, []byte(`{"v":1,"seq":7}`)); err == nil {
		t.Error("inclusion proof accepted a different event")
	}
	old := Checkpoint{Size: 5}
	if old.Root, err = tree.Root(5); err != nil {
		t.Fatal(err)
	}
	tp, err := tree.ProveConsistency(5, latest.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckConsistency(tp, latest, old); err != nil {
		t.Errorf("consistency proof: %v", err)
	}
	forkedOld := old
	forkedOld.Root[0] ^= 1
	if err := CheckConsistency(tp, latest, forkedOld); err == nil {
		t.Error("consistency proof accepted a different old tree")
	}
}

// TestFrontierMatchesTlog keeps the incremental Merkle frontier equal to
// tlog's tree hash at every size.
func TestFrontierMatchesTlog(t *testing.T) {
	var f frontier
	var stored []tlog.Hash
	hr := tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(ix))
		for i, x := range ix {
			out[i] = stored[x]
		}
		return out, nil
	})
	for n := int64(0); n < 70; n++ {
		rec := []byte{byte(n), 'x'}
		hs, err := tlog.StoredHashes(n, rec, hr)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
		f.addRecord(rec)
		want, err := tlog.TreeHash(n+1, hr)
		if err != nil {
			t.Fatal(err)
		}
		if f.root() != want {
			t.Fatalf("frontier root at size %d differs from tlog", n+1)
		}
		g, err := decodeFrontier(f.n, f.encode())
		if err != nil || g.root() != want {
			t.Fatalf("decoded frontier at size %d: %v", n+1, err)
		}
	}
}

func TestCheckpointEveryInterval(t *testing.T) {
	k := newKeys(t, "test")
	c := &clock{t: t0}
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openTest(t, path, Options{Now: c.now, Signer: k.signer, CheckpointInterval: 60e9})
	ctx := context.Background()
	count := func() int {
		n := 0
		for _, r := range readAll(t, path) {
			if r.Kind == KindCheckpoint {
				n++
			}
		}
		return n
	}
	l.Append(ctx, Event{Kind: KindAgentAction})
	first := count() // the first append with a key signs the first checkpoint
	c.add(30e9)
	l.Append(ctx, Event{Kind: KindAgentAction})
	if got := count(); got != first {
		t.Fatalf("checkpoint after 30s: %d checkpoints, want %d", got, first)
	}
	c.add(31e9)
	l.Append(ctx, Event{Kind: KindAgentAction})
	if got := count(); got != first+1 {
		t.Fatalf("after 61s: %d checkpoints, want %d", got, first+1)
	}
	if rep, err := Verify(path, VerifyOptions{Verifier: k.verifier}); err != nil || !rep.Intact() {
		t.Fatalf("Verify: %v %v", err, rep.Problem)
	}
}

func TestLoadSignerRefusesOpenKey(t *testing.T) {
	skey, _, err := GenerateKey(rand.Reader, "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "audit.key")
	os.WriteFile(path, []byte(skey), 0o644)
	os.Chmod(path, 0o644)
	_, err = LoadSigner(path)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("LoadSigner on a 0644 key: %v, want a mode error", err)
	}
	if strings.Contains(err.Error(), skey[20:]) {
		t.Fatal("the error leaks the key")
	}
	os.Chmod(path, 0o600)
	if _, err := LoadSigner(path); err != nil {
		t.Fatalf("LoadSigner on a 0600 key: %v", err)
	}
}
