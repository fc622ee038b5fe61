package audit

import (
	"encoding/json"
	"testing"
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
