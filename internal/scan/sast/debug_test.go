//go:build sastdebug

package sast

import (
	"context"
	"os"
	"testing"
)

// TestDebugFile prints the findings for SAST_DEBUG_FILE; it is a
// development aid and does nothing in a normal run.
func TestDebugFile(t *testing.T) {
	p := os.Getenv("SAST_DEBUG_FILE")
	if p == "" {
		return
	}
	src, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := New().Check(context.Background(), p, src)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		t.Logf("%d:%d %s %s", f.StartLine, f.StartColumn, f.RuleID, f.Snippet)
	}
}
