package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// TestThinClientFor: init uses warden-hook only when it sits next to the
// warden the hooks would run, spelled the way PATH finds it.
func TestThinClientFor(t *testing.T) {
	withThin, alone, other := t.TempDir(), t.TempDir(), t.TempDir()
	exe := func(p string) {
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	exe(filepath.Join(withThin, "warden"))
	exe(filepath.Join(withThin, "warden-hook"))
	exe(filepath.Join(alone, "warden"))
	exe(filepath.Join(other, "warden-hook"))
	if err := os.WriteFile(filepath.Join(other, "warden"), nil, 0o644); err != nil { // not executable
		t.Fatal(err)
	}
	tests := []struct {
		path, command, want string
	}{
		{withThin, "warden", "warden-hook"},
		{alone + string(os.PathListSeparator) + withThin, "warden", ""},
		{alone, filepath.Join(withThin, "warden"), filepath.Join(withThin, "warden-hook")},
		{other + string(os.PathListSeparator) + withThin, "warden", filepath.Join(withThin, "warden-hook")},
		{withThin, "env X=1 warden", ""},
		{"", "warden", ""},
	}
	for _, tt := range tests {
		t.Setenv("PATH", tt.path)
		if got := thinClientFor(tt.command); got != tt.want {
			t.Errorf("PATH=%s thinClientFor(%q) = %q, want %q", tt.path, tt.command, got, tt.want)
		}
	}
}
