package audit

import (
	"context"
	"path/filepath"
	"testing"
)

// SyncEveryEvent goes through the journal too (each record fsynced before
// Append returns, the log fsynced at each seal).
func TestSyncEveryEventThroughTheJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openTest(t, path, Options{Sync: SyncEveryEvent})
	for i := range 5 {
		seq, err := l.Append(context.Background(), Event{Kind: KindAgentAction, Summary: "synced"})
		if err != nil || seq != uint64(i+1) {
			t.Fatalf("Append %d: seq %d, %v", i, seq, err)
		}
	}
	recs := readAll(t, path)
	checkChain(t, recs)
	if len(recs) != 5 {
		t.Fatalf("%d events, want 5", len(recs))
	}
	if n, err := Pending(path); err != nil || n != 0 {
		t.Fatalf("Pending = %d, %v; want 0", n, err)
	}
}
