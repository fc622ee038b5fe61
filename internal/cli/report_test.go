package cli

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/audit"
	"github.com/wardenhq/warden/internal/finding"
)

func TestReportCommand(t *testing.T) {
	repo, env := auditRepo(t)
	recordEvents(t, repo, env, sampleEvents()...)

	code, out, errOut := runPolicyCLI(t, repo, env, "report", "--format", "json")
	if code != 0 {
		t.Fatalf("report: exit %d %s", code, errOut)
	}
	var rep struct {
		Agent struct {
			Denied int `json:"denied"`
			Asked  int `json:"asked"`
		} `json:"agent_actions"`
		Access struct {
			Blocked int `json:"blocked"`
		} `json:"unauthorized_access"`
		Leaks struct {
			Incidents int `json:"incidents"`
		} `json:"secret_leaks"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report --format json: %v\n%s", err, out)
	}
	if rep.Agent.Denied != 1 || rep.Agent.Asked != 1 || rep.Access.Blocked != 1 || rep.Leaks.Incidents != 1 {
		t.Errorf("report: %+v", rep)
	}
	if code, out, _ := runPolicyCLI(t, repo, env, "report", "--format", "markdown", "--since", "2026-11-01T10:30:00Z"); code != 0 || !strings.Contains(out, "| agent actions denied / asked / total | 0 / 1 / 1 |") {
		t.Errorf("report --format markdown --since: exit %d\n%s", code, out)
	}
	if code, _, _ := runPolicyCLI(t, repo, env, "report", "--rebuild"); code != 0 {
		t.Errorf("report --rebuild: exit %d", code)
	}
	for _, args := range [][]string{
		{"report", "--format", "pdf"},
		{"report", "--since", "2026-11-02", "--until", "2026-11-01"},
		{"report", "--range", "v1..v2"}, // not a git repository
	} {
		if code, _, errOut := runPolicyCLI(t, repo, env, args...); code != ExitUsage {
			t.Errorf("%v: exit %d %s, want 2", args, code, errOut)
		}
	}
}

func TestReportCommitRange(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required for this test (scripts/test-deps installs it)")
	}
	repo, env := auditRepo(t)
	gitRun := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = repo
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	gitRun("init", "-q")
	gitRun("commit", "-q", "--allow-empty", "-m", "one")
	c1 := gitRun("rev-parse", "HEAD")
	gitRun("tag", "v1")
	gitRun("commit", "-q", "--allow-empty", "-m", "two")
	c2 := gitRun("rev-parse", "HEAD")
	crit := audit.FindingRef{Rule: "secrets.x", Engine: "secrets", Severity: finding.SeverityCritical, Fingerprint: "f"}
	recordEvents(t, repo, env,
		audit.Event{Kind: audit.KindScanGate, Repo: audit.Repo{Commit: c1, Release: "v1"}, Scan: &audit.Scan{Scope: audit.ScopeFull}, Findings: []audit.FindingRef{crit}},
		audit.Event{Kind: audit.KindScanGate, Repo: audit.Repo{Commit: c2, Release: "v2"}, Scan: &audit.Scan{Scope: audit.ScopeFull}},
	)
	code, out, errOut := runPolicyCLI(t, repo, env, "report", "--range", "v1..HEAD", "--format", "json")
	if code != 0 {
		t.Fatalf("report --range: exit %d %s", code, errOut)
	}
	var rep struct {
		Releases []struct {
			Release string `json:"release"`
		} `json:"releases"`
		MTTR struct {
			Remediated int `json:"remediated"`
		} `json:"mttr"`
	}
	json.Unmarshal([]byte(out), &rep)
	if len(rep.Releases) != 1 || rep.Releases[0].Release != "v2" || rep.MTTR.Remediated != 1 {
		t.Errorf("report --range v1..HEAD: %+v\n%s", rep, out)
	}
}
