package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/audit"
)

// TestThinClientFor: init uses a thin client only when it sits next to the
// warden the hooks would run, spelled the way PATH finds it, and prefers
// the C build warden-hook-c when the Go warden-hook it hands over to is
// there too.
func TestThinClientFor(t *testing.T) {
	withThin, alone, other, withC, cOnly := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
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
	for _, n := range []string{"warden", "warden-hook", "warden-hook-c"} {
		exe(filepath.Join(withC, n))
	}
	exe(filepath.Join(cOnly, "warden"))
	exe(filepath.Join(cOnly, "warden-hook-c"))
	tests := []struct {
		path, command, want string
	}{
		{withThin, "warden", "warden-hook"},
		{alone + string(os.PathListSeparator) + withThin, "warden", ""},
		{alone, filepath.Join(withThin, "warden"), filepath.Join(withThin, "warden-hook")},
		{other + string(os.PathListSeparator) + withThin, "warden", filepath.Join(withThin, "warden-hook")},
		{withThin, "env X=1 warden", ""},
		{"", "warden", ""},
		{withC, "warden", "warden-hook-c"},
		{withThin, filepath.Join(withC, "warden"), filepath.Join(withC, "warden-hook-c")},
		{withThin + string(os.PathListSeparator) + withC, filepath.Join(withC, "warden"), filepath.Join(withC, "warden-hook-c")},
		{cOnly, "warden", ""}, // warden-hook-c without the Go client it needs
	}
	for _, tt := range tests {
		t.Setenv("PATH", tt.path)
		if got := thinClientFor(tt.command); got != tt.want {
			t.Errorf("PATH=%s thinClientFor(%q) = %q, want %q", tt.path, tt.command, got, tt.want)
		}
	}
}

// TestHookClient: init --check names the client a hook command runs and
// finds the ones that cannot run.
func TestHookClient(t *testing.T) {
	full, broken := t.TempDir(), t.TempDir()
	exe := func(p string) {
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"warden", "warden-hook", "warden-hook-c"} {
		exe(filepath.Join(full, n))
	}
	exe(filepath.Join(broken, "warden-hook-c"))
	exe(filepath.Join(broken, "warden"))
	t.Setenv("PATH", full)
	tests := []struct {
		command, client, problem string
	}{
		{"warden hook claude", "warden hook", ""},
		{"warden-hook gemini", "warden-hook", ""},
		{"warden-hook-c copilot --event postToolUse", "warden-hook-c", ""},
		{filepath.Join(full, "warden-hook-c") + " claude", filepath.Join(full, "warden-hook-c"), ""},
		{"env X=1 warden hook codex", "warden hook", ""},
		{filepath.Join(broken, "warden-hook-c") + " claude", filepath.Join(broken, "warden-hook-c"), "needs warden-hook next to it"},
		{"/nowhere/warden-hook claude", "/nowhere/warden-hook", "is not found"},
	}
	for _, tt := range tests {
		client, problem := hookClient(tt.command)
		if client != tt.client || (tt.problem == "") != (problem == "") || !strings.Contains(problem, tt.problem) {
			t.Errorf("hookClient(%q) = %q, %q; want %q, %q", tt.command, client, problem, tt.client, tt.problem)
		}
	}
}

// TestInitCheckSealsPendingEvents: a hook's event still waiting in the
// audit journal (appends seal in batches) counts as proof that the agent's
// hooks fire: init --check seals before it reads.
func TestInitCheckSealsPendingEvents(t *testing.T) {
	repo, env := auditRepo(t)
	e := &Env{Dir: repo, Getenv: func(k string) string { return env[k] }}
	eff, err := loadPolicy(e, "")
	if err != nil {
		t.Fatal(err)
	}
	path := auditLogPath(eff, repo, "")
	l, err := audit.Open(path, audit.Options{SealAfter: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for _, agent := range []string{"cursor", "claude"} { // the first append seals, the second waits
		if _, err := l.Append(context.Background(), audit.Event{Kind: audit.KindAgentAction, Actor: audit.Actor{Agent: agent}, Summary: "exec: ls", Decision: audit.DecisionAllow}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	if rep, err := audit.Verify(path, audit.VerifyOptions{}); err != nil || rep.Events != 1 || rep.Pending != 1 {
		t.Fatalf("before the check: %v, %d events, %d pending; want claude's event pending", err, rep.Events, rep.Pending)
	}
	var out bytes.Buffer
	e = &Env{Dir: repo, Stdout: &out, Stderr: io.Discard, Getenv: func(k string) string { return env[k] }}
	Main(context.Background(), []string{"init", "--check", "--agent", "claude"}, e)
	if !strings.Contains(out.String(), "1 decision(s) recorded") {
		t.Fatalf("init --check output:\n%s\nwant claude's pending decision counted", out.String())
	}
}
