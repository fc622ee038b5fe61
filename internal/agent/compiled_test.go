package agent_test

import (
	"context"
	"slices"
	"testing"

	"github.com/wardenhq/warden/internal/agent"
)

// TestRemovingWardenBinariesIsTamper: deleting warden or a thin client
// (warden-hook, warden-hook-c) beside it would silence the hooks (a missing hook command lets Claude
// Code's action through), so both are tampering.
func TestRemovingWardenBinariesIsTamper(t *testing.T) {
	g, err := agent.New(agent.Config{Policy: suitePolicy(), Home: home, WardenPath: home + "/go/bin/warden"})
	if err != nil {
		t.Fatal(err)
	}
	for cmd, tamper := range map[string]bool{
		"rm ~/go/bin/warden":                                     true,
		"rm -f " + home + "/go/bin/warden-hook":                  true,
		"mv ~/go/bin/warden-hook /tmp/x":                         true,
		"go clean -i github.com/wardenhq/warden/cmd/warden-hook": true,
		"brew uninstall warden-hook":                             true,
		"rm " + home + "/go/bin/warden-hook-c":                   true,
		"unlink ~/go/bin/warden-hook-c":                          true,
		"rm ~/go/bin/gopls":                                      false,
	} {
		d := g.Decide(context.Background(), &agent.Request{Agent: "claude", Event: agent.EventPreTool, Session: "s", Actions: []agent.Action{{
			Agent: "claude", Session: "s", Event: agent.EventPreTool, Kind: agent.KindExec, Tool: "Bash", Command: cmd, Cwd: project, ProjectDir: project,
		}}})
		if got := slices.Contains(d.Rules, agent.RuleWardenTamper); got != tamper {
			t.Errorf("%q: rules %v (verdict %s), want tamper=%v", cmd, d.Rules, d.Verdict, tamper)
		}
	}
}

// TestCompiledMatchesNew: a Guard given a shared Compiled decides as one
// that compiles for itself, and a Compiled made for another home is not
// used.
func TestCompiledMatchesNew(t *testing.T) {
	p := suitePolicy()
	shared, err := agent.Compile(p, home, "")
	if err != nil {
		t.Fatal(err)
	}
	other, err := agent.Compile(p, "/root", "")
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := agent.New(agent.Config{Policy: p, Home: home})
	if err != nil {
		t.Fatal(err)
	}
	reused, err := agent.New(agent.Config{Policy: p, Home: home, Compiled: shared})
	if err != nil {
		t.Fatal(err)
	}
	mismatched, err := agent.New(agent.Config{Policy: p, Home: home, Compiled: other})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range loadSuite(t) {
		if row.kind != "exec" {
			continue
		}
		act := func(g *agent.Guard) agent.Decision {
			return g.Decide(context.Background(), &agent.Request{Agent: "claude", Event: agent.EventPreTool, Session: "s", Actions: []agent.Action{{
				Agent: "claude", Session: "s", Event: agent.EventPreTool, Kind: agent.KindExec, Tool: "Bash", Command: row.fields[0], Cwd: project, ProjectDir: project,
			}}})
		}
		want := act(fresh)
		for name, g := range map[string]*agent.Guard{"shared": reused, "mismatched": mismatched} {
			if got := act(g); got.Verdict != want.Verdict || !slices.Equal(got.Rules, want.Rules) {
				t.Errorf("%s: %s guard %s %v, fresh %s %v", row, name, got.Verdict, got.Rules, want.Verdict, want.Rules)
			}
		}
	}
	// ~/.ssh is home-relative: a Guard for /root must not use /home/dev's.
	d := mismatched.Decide(context.Background(), &agent.Request{Agent: "claude", Event: agent.EventPreTool, Session: "s", Actions: []agent.Action{{
		Agent: "claude", Session: "s", Event: agent.EventPreTool, Kind: agent.KindRead, Tool: "Read", Path: home + "/.ssh/id_rsa", Cwd: project, ProjectDir: project,
	}}})
	if d.Verdict == agent.Allow {
		t.Errorf("reading %s/.ssh/id_rsa allowed by a guard given another home's Compiled", home)
	}
}
