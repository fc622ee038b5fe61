package audit

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzParseEvent: no input panics, and whatever parses re-encodes to a
// line whose header the fast parser reads the same way.
func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(`{"v":1,"seq":1,"time":"2026-11-01T12:00:00Z","prev":"","kind":"agent.action","decision":"deny"}`))
	f.Add([]byte(`{"v":1,"seq":2,"time":"2026-11-01T12:00:00Z","prev":"` + lineHash([]byte("x")) + `","kind":"scan.gate","findings":[{"rule":"r","severity":"high","fingerprint":"f"}]}`))
	f.Add([]byte(`{"v":2,"seq":1}`))
	f.Add([]byte(`{"v":1,"seq":1,"kind":"x","extra":1}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := ParseEvent(line)
		if h, ok := parseHeader(line); ok && err == nil {
			if h.seq != e.Seq || h.prev != e.Prev || h.kind != string(e.Kind) {
				t.Fatalf("fast header %+v disagrees with the event %d %q %q", h, e.Seq, e.Prev, e.Kind)
			}
		}
		if err != nil {
			return
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		e2, err := ParseEvent(b)
		if err != nil {
			t.Fatalf("re-encoded event does not parse: %v", err)
		}
		if h, ok := parseHeader(b); ok && (h.seq != e2.Seq || h.kind != string(e2.Kind)) {
			t.Fatalf("fast header %+v disagrees with re-encoded event", h)
		}
	})
}

func FuzzParseCheckpoint(f *testing.F) {
	f.Add("warden audit log v1\n5\n" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— k sig\n")
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, msg string) {
		c, err := parseCheckpointBody(msg)
		if err == nil && c.Size < 0 {
			t.Fatalf("negative size %d", c.Size)
		}
	})
}

// FuzzAppendEventJSON: the reflection-free encoder writes exactly what
// json.Marshal writes, or declines.
func FuzzAppendEventJSON(f *testing.F) {
	f.Add("claude", "s1", "exec: go test ./...", "deny", ".env", "sha256:ab", int64(1_700_000_000_123_456_789), uint64(7), "agent.action")
	f.Add("", "", "", "", "", "", int64(0), uint64(0), "x")
	f.Add("<script>&amp;", "\u2028\u2029", "a\"b\\c\n\t\x01", "é\xff\xfe", "\x7f", "", int64(-62135596800_000_000_0), uint64(1<<63), "")
	f.Fuzz(func(t *testing.T, agent, session, summary, decision, path, hash string, nanos int64, seq uint64, kind string) {
		tm := time.Unix(0, nanos)
		events := []Event{
			{V: 1, Seq: seq, Time: tm.UTC(), Prev: hash, Kind: Kind(kind), Actor: Actor{Agent: agent, Session: session},
				Repo: Repo{Name: path}, Summary: summary, Action: &Action{Kind: decision, Tool: agent, Host: hash},
				Rules: []string{summary, agent}, Paths: []string{path}, Hashes: []string{hash}, Decision: decision,
				Reasons: []string{summary}, Tags: []string{kind}, PolicySHA256: hash},
			{V: int(nanos % 3), Time: tm, Kind: Kind(kind), Actor: Actor{User: agent, Host: session}, Repo: Repo{Commit: path, Ref: hash, Release: summary},
				Excerpts: []string{summary}, Checkpoint: summary, Tree: []string{hash, path}},
			{Time: tm.In(time.FixedZone("odd", int(nanos%100000))), Kind: Kind(kind), Action: &Action{}},
		}
		for i := range events {
			e := &events[i]
			want, werr := json.Marshal(e)
			got, ok := appendEventJSON([]byte("prefix"), e)
			if !ok {
				if string(got) != "prefix" {
					t.Fatalf("declined after appending %q", got)
				}
				continue
			}
			if werr != nil {
				t.Fatalf("encoded %q where json.Marshal fails: %v", got, werr)
			}
			if string(got[len("prefix"):]) != string(want) {
				t.Fatalf("event %d:\n got %s\nwant %s", i, got[len("prefix"):], want)
			}
		}
	})
}
