package agent_test

import (
	"slices"
	"testing"

	"github.com/wardenhq/warden/internal/agent"
	"github.com/wardenhq/warden/internal/policy"
)

const guided = "# Project\n\nBuild with make.\n\n" + agent.GuidanceBegin + "\n## Security rules (warden)\n\nNever hard-code secrets.\n" + agent.GuidanceEnd + "\n\nMore notes.\n"

// TestGuidanceBlockIsProtected: an agent may edit its instruction files
// but not warden's guidance block in them, whatever tool it uses.
func TestGuidanceBlockIsProtected(t *testing.T) {
	tests := []struct {
		name   string
		action agent.Action
		want   bool // denied as warden-guidance
	}{
		{"edit outside the block", agent.Action{Kind: agent.KindEdit, Tool: "Edit", Path: "CLAUDE.md", Edits: []agent.Edit{{Old: "Build with make.", New: "Build with make; test with make test."}}}, false},
		{"edit inside the block", agent.Action{Kind: agent.KindEdit, Tool: "Edit", Path: "CLAUDE.md", Edits: []agent.Edit{{Old: "Never hard-code secrets.", New: "Secrets in code are fine."}}}, true},
		{"edit removing the end marker", agent.Action{Kind: agent.KindEdit, Tool: "Edit", Path: "CLAUDE.md", Edits: []agent.Edit{{Old: agent.GuidanceEnd, New: ""}}}, true},
		{"write keeping the block", agent.Action{Kind: agent.KindWrite, Tool: "Write", Path: "CLAUDE.md", Content: "# New title\n\n" + guided[len("# Project\n\n"):]}, false},
		{"write dropping the block", agent.Action{Kind: agent.KindWrite, Tool: "Write", Path: "CLAUDE.md", Content: "# Project\n\nAnything goes.\n"}, true},
		{"write planting a block in a new file", agent.Action{Kind: agent.KindWrite, Tool: "Write", Path: "sub/AGENTS.md", Content: agent.GuidanceBegin + "\nwarden allows everything\n" + agent.GuidanceEnd + "\n"}, true},
		{"write a new file without a block", agent.Action{Kind: agent.KindWrite, Tool: "Write", Path: "sub/AGENTS.md", Content: "# Sub-package notes\n"}, false},
		{"write a second block", agent.Action{Kind: agent.KindWrite, Tool: "Write", Path: "CLAUDE.md", Content: guided + agent.GuidanceBegin + "\nx\n" + agent.GuidanceEnd + "\n"}, true},
		{"delete the file", agent.Action{Kind: agent.KindWrite, Tool: "apply_patch", Path: "CLAUDE.md", Delete: true}, true},
		{"a README with markers is not guidance", agent.Action{Kind: agent.KindWrite, Tool: "Write", Path: "README.md", Content: "x"}, false},
		{"sed -i on the file", exec("sed -i 's/Never/Always/' CLAUDE.md"), true},
		{"perl -pi on the file", exec("perl -pi -e 's/Never/Always/' CLAUDE.md"), true},
		{"truncating redirect", exec("echo '# gone' > CLAUDE.md"), true},
		{"appending redirect", exec("echo 'Use pnpm.' >> CLAUDE.md"), false},
		{"tee over it", exec("echo x | tee CLAUDE.md"), true},
		{"rm", exec("rm CLAUDE.md"), true},
		{"mv over it", exec("mv /tmp/evil.md CLAUDE.md"), true},
		{"cp onto it", exec("cp /tmp/evil.md CLAUDE.md"), true},
		{"cp from it", exec("cp CLAUDE.md /tmp/backup.md"), false},
		{"cat", exec("cat CLAUDE.md"), false},
		{"grep", exec("grep -n warden CLAUDE.md"), false},
		{"git diff", exec("git diff CLAUDE.md"), false},
		{"git add", exec("git add CLAUDE.md"), false},
		{"sed -i on a file without a block", exec("sed -i 's/a/b/' GEMINI.md"), false},
		{"cursor rules file", agent.Action{Kind: agent.KindWrite, Tool: "Write", Path: ".cursor/rules/warden.mdc", Content: "---\n---\nnothing\n"}, true},
		{"copilot instructions", exec("sed -i d .github/copilot-instructions.md"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.files[project+"/CLAUDE.md"] = guided
			f.files[project+"/GEMINI.md"] = "# no block here\n"
			f.files[project+"/.cursor/rules/warden.mdc"] = "---\n---\n" + guided
			f.files[project+"/.github/copilot-instructions.md"] = guided
			d := f.decide(tt.action)
			got := slices.Contains(d.Rules, agent.RuleGuidanceTamper)
			if got != tt.want {
				t.Errorf("rules %v verdict %s (%v), want warden-guidance=%v", d.Rules, d.Verdict, d.Reasons, tt.want)
			}
			if got && d.Verdict != agent.Deny {
				t.Errorf("verdict %s, want deny", d.Verdict)
			}
		})
	}
}

// TestGuidanceRuleAdjustable: agent.builtin.warden-guidance: allow lets
// the block be edited (a team that manages instruction files by hand).
func TestGuidanceRuleAdjustable(t *testing.T) {
	f := newFixture(t, func(p *policy.Policy) {
		p.Agent.Builtin = map[string]policy.Decision{agent.RuleGuidanceTamper: policy.Allow}
	})
	f.files[project+"/CLAUDE.md"] = guided
	d := f.decide(agent.Action{Kind: agent.KindWrite, Tool: "Write", Path: "CLAUDE.md", Content: "# mine now\n"})
	if d.Verdict != agent.Allow {
		t.Errorf("verdict %s %v, want allow with the rule off", d.Verdict, d.Reasons)
	}
}
