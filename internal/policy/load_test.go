package policy

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wardenhq/warden/internal/finding"
)

func writeFile(t *testing.T, path, content string) { writeFileB(t, path, content) }

func writeFileB(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// load writes org (if not "") and repo (if not "") into a fresh directory
// and loads them.
func load(t *testing.T, org, repo string) (*Effective, error) {
	t.Helper()
	dir := t.TempDir()
	opts := LoadOptions{Dir: filepath.Join(dir, "repo")}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if org != "" {
		opts.OrgPath = filepath.Join(dir, "org.yaml")
		writeFile(t, opts.OrgPath, org)
	}
	if repo != "" {
		writeFile(t, filepath.Join(opts.Dir, "warden.yaml"), repo)
	}
	return Load(opts)
}

func TestBuiltinDefaults(t *testing.T) {
	e := Builtin()
	if e.Gates.FailOn != finding.SeverityHigh {
		t.Errorf("gates.fail_on = %v, want high", e.Gates.FailOn)
	}
	if diff := cmp.Diff(Engines, e.Gates.Engines); diff != "" {
		t.Errorf("gates.engines (-want +got):\n%s", diff)
	}
	if e.Gates.MaxDBAge != Duration(7*24*time.Hour) || e.Gates.DBAgeAction != "warn" {
		t.Errorf("max_db_age = %v %s, want 7d warn", e.Gates.MaxDBAge, e.Gates.DBAgeAction)
	}
	if e.Gates.MaxFileSize != 1<<20 {
		t.Errorf("max_file_size = %v, want 1MiB", e.Gates.MaxFileSize)
	}
	for _, g := range []string{"**/.env", "~/.ssh/**", "~/.aws/**", "~/.config/gcloud/**", "~/.netrc", "~/.kube/**", "**/*.pem"} {
		if !slices.Contains(e.Agent.Files.ReadDeny, g) {
			t.Errorf("agent.files.read_deny lacks %q", g)
		}
	}
	for _, p := range []string{".env", "config/.env.production", "certs/server.pem", "home/id_ed25519"} {
		if !MatchAny(e.Agent.Files.ReadDeny, p) {
			t.Errorf("read_deny does not match %q", p)
		}
	}
	if MatchAny(e.Agent.Files.ReadDeny, "src/main.go") {
		t.Error("read_deny matches src/main.go")
	}
	for _, p := range []string{"warden.yaml", ".warden/policy.yaml", ".claude/settings.json", ".git/hooks/pre-commit"} {
		if !MatchAny(e.Agent.Files.WriteDeny, p) {
			t.Errorf("write_deny does not match %q", p)
		}
	}
	for _, h := range []string{"registry.npmjs.org", "pypi.org", "proxy.golang.org", "github.com"} {
		if !MatchAny(e.Agent.Network.AllowDomains, h) {
			t.Errorf("allow_domains does not allow %q", h)
		}
	}
	if !e.ModelAllowed(Internal, "anthropic/claude-sonnet-4") || e.ModelAllowed(Restricted, "anthropic/claude-sonnet-4") {
		t.Error("models.allow: want anthropic allowed for internal code and not for restricted")
	}
	if e.Agent.Unparseable != Deny {
		t.Errorf("agent.unparseable = %q, want deny (fail closed)", e.Agent.Unparseable)
	}
	if !e.Excluded("web/node_modules/x/index.js") || e.Excluded("web/src/index.js") {
		t.Error("gates.exclude: want node_modules excluded and sources not")
	}
	for k, s := range e.Sources {
		if s != BuiltinSource {
			t.Errorf("source of %s = %q, want builtin", k, s)
		}
	}
	if len(e.Layers) != 0 {
		t.Errorf("layers = %v, want none", e.Layers)
	}
	for _, r := range e.Agent.Commands.Rules {
		if e.Regexp(r.Args) == nil {
			t.Errorf("rule %s: no compiled regexp for %q", r.ID, r.Args)
		}
	}
}

func TestLayering(t *testing.T) {
	org := `version: 1
gates:
  fail_on: medium
  exclude: ["third_party/**"]
agent:
  files:
    read_deny: ["**/secrets/**"]
  commands:
    rules:
      - {id: no-prod-db, command: psql, args: 'prod', decision: deny, reason: production database}
models:
  allow:
    internal: ["anthropic/*"]
`
	repo := `version: 1
project: {name: shop}
gates:
  exclude: ["gen/**"]
agent:
  files:
    read_deny: ["**/*.sqlite"]
  commands:
    rules:
      - {id: kubectl-delete, command: kubectl, args: '^delete\b', decision: deny, reason: never}
  scan_on_stop: false
`
	e, err := load(t, org, repo)
	if err != nil {
		t.Fatal(err)
	}
	orgPath := e.Layers[0]
	if diff := cmp.Diff([]string{orgPath, "warden.yaml"}, e.Layers); diff != "" || !strings.HasSuffix(orgPath, "org.yaml") {
		t.Errorf("layers (-want +got):\n%s", diff)
	}
	// Scalars: the highest layer that sets one wins, including false.
	if e.Gates.FailOn != finding.SeverityMedium || e.Project.Name != "shop" || e.Agent.ScanOnStop {
		t.Errorf("scalars: fail_on=%v name=%q scan_on_stop=%v", e.Gates.FailOn, e.Project.Name, e.Agent.ScanOnStop)
	}
	// Replace lists: the repository's exclude replaces the org's.
	if diff := cmp.Diff([]string{"gen/**"}, e.Gates.Exclude); diff != "" {
		t.Errorf("gates.exclude (-want +got):\n%s", diff)
	}
	// Union lists: built-in, org and repo deny entries all stay.
	for _, g := range []string{"~/.ssh/**", "**/secrets/**", "**/*.sqlite"} {
		if !slices.Contains(e.Agent.Files.ReadDeny, g) {
			t.Errorf("read_deny lacks %q", g)
		}
	}
	// Rules by id: the repo's kubectl-delete replaces the built-in one in
	// place; the org's rule is appended.
	var ids []string
	for _, r := range e.Agent.Commands.Rules {
		ids = append(ids, r.ID+"="+string(r.Decision))
	}
	wantIDs := []string{"git-push-force=ask", "git-hooks-bypass=deny", "terraform-destroy=ask", "kubectl-delete=deny", "package-publish=ask", "no-prod-db=deny"}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Errorf("command rules (-want +got):\n%s", diff)
	}
	// Maps merge per key.
	if diff := cmp.Diff([]string{"anthropic/*"}, e.Models.Allow[Internal]); diff != "" {
		t.Errorf("models.allow.internal (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"*/*"}, e.Models.Allow[Public]); diff != "" {
		t.Errorf("models.allow.public (-want +got):\n%s", diff)
	}
	sources := map[string]string{
		"gates.fail_on":                   orgPath,
		"gates.max_db_age":                BuiltinSource,
		"project.name":                    "warden.yaml",
		"agent.scan_on_stop":              "warden.yaml",
		"gates.exclude[0]":                "warden.yaml",
		"agent.files.read_deny[0]":        BuiltinSource,
		"agent.commands.rules[3].args":    "warden.yaml",
		"agent.commands.rules[5]":         orgPath,
		"agent.commands.rules[0].command": BuiltinSource,
		"models.allow.internal":           orgPath,
		"models.allow.public":             BuiltinSource,
	}
	for k, want := range sources {
		if got := e.Source(k); got != want {
			t.Errorf("Source(%s) = %q, want %q", k, got, want)
		}
	}
	if got := e.Source("agent.files.read_deny[" + strconv.Itoa(len(e.Agent.Files.ReadDeny)-1) + "]"); got != "warden.yaml" {
		t.Errorf("source of the last read_deny entry = %q, want warden.yaml", got)
	}
}

func TestLocks(t *testing.T) {
	org := `version: 1
locks:
  - gates.fail_on
  - models
  - agent.commands
  - agent.builtin
  - agent.network
  - agent.files
  - agent.scan_on_stop
  - gates.max_db_age
  - gates.engines
  - exceptions
  - rules
gates:
  fail_on: medium
  max_db_age: 3d
models:
  allow:
    internal: ["anthropic/*", "openai/gpt-5"]
  require_attestation: [restricted, confidential]
  attestation:
    sev_snp_minimum_tcb: {snp: 8}
agent:
  commands:
    rules:
      - {id: no-prod-db, command: psql, args: 'prod', decision: ask}
  builtin:
    curl-pipe-shell: ask
  network:
    allow_domains: [github.com, "*.npmjs.org"]
rules:
  patterns:
    - {id: org-todo, regex: 'TODO\(secret\)', severity: low, message: fix}
`
	tests := []struct {
		name string
		repo string
		// wantKey is the key of the loosening, "" when the repo only tightens.
		wantKey string
		wantMsg string
	}{
		{"severity tighter", "gates:\n  fail_on: low\n", "", ""},
		{"severity equal", "gates:\n  fail_on: medium\n", "", ""},
		{"severity looser", "gates:\n  fail_on: critical\n", "gates.fail_on", "critical is looser than the organization's medium"},
		{"models subset", "models:\n  allow:\n    internal: [anthropic/claude-opus-4]\n", "", ""},
		{"models same glob", "models:\n  allow:\n    internal: [\"anthropic/*\", openai/gpt-5]\n", "", ""},
		{"models new provider", "models:\n  allow:\n    internal: [\"anthropic/*\", google/gemini-3]\n", "models.allow.internal[1]", `model "google/gemini-3" is not allowed for internal code`},
		{"models wider glob", "models:\n  allow:\n    internal: [\"openai/*\"]\n", "models.allow.internal[0]", "not allowed"},
		{"models new classification", "models:\n  allow:\n    restricted: [anthropic/claude-opus-4]\n", "models.allow.restricted[0]", "not allowed for restricted"},
		{"attestation added", "models:\n  require_attestation: [internal]\n", "", ""},
		{"SNP minimum TCB raised", "models:\n  attestation:\n    sev_snp_minimum_tcb:\n      snp: 9\n      microcode: 1\n", "", ""},
		{"SNP minimum TCB lowered", "models:\n  attestation:\n    sev_snp_minimum_tcb: {snp: 7}\n", "models.attestation.sev_snp_minimum_tcb.snp", "lower than the organization's minimum 8"},
		{"attestation max_age shorter", "models:\n  attestation:\n    max_age: 5m\n", "", ""},
		{"attestation max_age longer", "models:\n  attestation:\n    max_age: 1h\n", "models.attestation.max_age", "looser"},
		{"secrets block is tighter", "models:\n  secrets: block\n", "", ""},
		{"command rule added deny", "agent:\n  commands:\n    rules:\n      - {id: no-rm, command: rm, decision: deny}\n", "", ""},
		{"command rule raised", "agent:\n  commands:\n    rules:\n      - {id: no-prod-db, command: psql, args: 'prod', decision: deny}\n", "", ""},
		{"command rule added allow", "agent:\n  commands:\n    rules:\n      - {id: ok-psql, command: psql, decision: allow}\n", "agent.commands.rules[0]", "may add rules that ask or deny, not allow"},
		{"command rule lowered", "agent:\n  commands:\n    rules:\n      - {id: no-prod-db, command: psql, args: 'prod', decision: allow}\n", "agent.commands.rules[0]", "allow is looser than the organization's ask"},
		{"command rule rematched", "agent:\n  commands:\n    rules:\n      - {id: no-prod-db, command: psql, args: 'never-matches', decision: deny}\n", "agent.commands.rules[0]", "changes what the organization's rule"},
		{"builtin raised", "agent:\n  builtin:\n    curl-pipe-shell: deny\n", "", ""},
		{"builtin lowered", "agent:\n  builtin:\n    curl-pipe-shell: allow\n", "agent.builtin.curl-pipe-shell", "allow is looser than the organization's ask"},
		{"builtin unknown to org", "agent:\n  builtin:\n    rm-rf: ask\n", "agent.builtin.rm-rf", "may only set it to deny"},
		{"read_allow narrowed", "agent:\n  files:\n    read_allow: [\"**/.env.example\"]\n", "", ""},
		{"read_allow widened", "agent:\n  files:\n    read_allow: [\"**/.env\"]\n", "agent.files.read_allow[0]", "not in the organization's list"},
		{"read_deny added", "agent:\n  files:\n    read_deny: [\"**/*.sqlite\"]\n", "", ""},
		{"network subset", "agent:\n  network:\n    allow_domains: [registry.npmjs.org]\n", "", ""},
		{"network wider", "agent:\n  network:\n    allow_domains: [example.com]\n", "agent.network.allow_domains[0]", "not in the organization's list"},
		{"network default looser", "agent:\n  network:\n    default: allow\n", "agent.network.default", "allow is looser than the organization's ask"},
		{"scan_on_stop off", "agent:\n  scan_on_stop: false\n", "agent.scan_on_stop", "may not be turned off"},
		{"db age shorter", "gates:\n  max_db_age: 1d\n", "", ""},
		{"db age longer", "gates:\n  max_db_age: 2w\n", "gates.max_db_age", "2w is looser than the organization's 3d"},
		{"db age disabled", "gates:\n  max_db_age: 0\n", "gates.max_db_age", "looser"},
		{"engines dropped", "gates:\n  engines: [secrets]\n", "gates.engines", "drops sast, deps, config, custom"},
		{"no exceptions under lock", "exceptions: []\n", "", ""},
		{"exception added", "exceptions:\n  - {rule: org-todo, reason: fine}\n", "exceptions[0]", "may add no exceptions"},
		{"pattern added", "rules:\n  patterns:\n    - {id: repo-rule, regex: x, severity: high, message: m}\n", "", ""},
		{"pattern changed", "rules:\n  patterns:\n    - {id: org-todo, regex: 'TODO', severity: info, message: fix}\n", "rules.patterns[0]", `changes the organization's rule "org-todo"`},
		{"unlocked key free", "gates:\n  db_age_action: warn\n  max_file_size: 10KiB\nagent:\n  injection: warn\n", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := load(t, org, "version: 1\n"+tt.repo)
			if tt.wantKey == "" {
				if err != nil {
					t.Fatalf("tightening was refused: %v", err)
				}
				if e.Source(firstKey(tt.repo)) != "warden.yaml" {
					t.Errorf("source of %s = %q, want warden.yaml", firstKey(tt.repo), e.Source(firstKey(tt.repo)))
				}
				return
			}
			var le *LockError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want a *LockError", err)
			}
			if le.Key != tt.wantKey || !strings.Contains(le.Msg, tt.wantMsg) {
				t.Errorf("LockError key %q msg %q, want key %q msg containing %q", le.Key, le.Msg, tt.wantKey, tt.wantMsg)
			}
			if !strings.HasSuffix(le.OrgFile, "org.yaml") || le.RepoFile != "warden.yaml" || le.Line == 0 {
				t.Errorf("LockError locates %s and %s:%d; want both files and a line", le.OrgFile, le.RepoFile, le.Line)
			}
			msg := err.Error()
			if !strings.Contains(msg, le.OrgFile) || !strings.Contains(msg, "warden.yaml:") {
				t.Errorf("message %q does not name both files", msg)
			}
			if !IsUserError(err) {
				t.Error("IsUserError = false for a lock violation")
			}
		})
	}
}

// firstKey is the dotted key of the first leaf in a small YAML snippet.
func firstKey(src string) string {
	var parts []string
	for _, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		depth := (len(line) - len(trimmed)) / 2
		name, _, ok := strings.Cut(trimmed, ":")
		if !ok || strings.HasPrefix(trimmed, "-") {
			break
		}
		parts = append(parts[:depth], name)
		if rest := strings.TrimSpace(strings.SplitN(trimmed, ":", 2)[1]); rest != "" {
			break
		}
	}
	return strings.Join(parts, ".")
}

func TestRepoMayNotLock(t *testing.T) {
	_, err := load(t, "", "version: 1\nlocks: [gates]\n")
	var pe *Error
	if !errors.As(err, &pe) || pe.Key != "locks" || pe.Line != 2 {
		t.Fatalf("err = %v, want an *Error on locks at line 2", err)
	}
}

func TestDiscover(t *testing.T) {
	tests := []struct {
		name    string
		files   []string
		want    string
		wantErr string
	}{
		{"none", nil, "", ""},
		{"warden.yaml", []string{"warden.yaml"}, "warden.yaml", ""},
		{"alt", []string{".warden/policy.yaml"}, filepath.FromSlash(".warden/policy.yaml"), ""},
		{"both", []string{"warden.yaml", ".warden/policy.yaml"}, "", "both warden.yaml and .warden/policy.yaml exist"},
		{"yml", []string{"warden.yml"}, "", "rename"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tt.files {
				writeFile(t, filepath.Join(dir, f), "version: 1\n")
			}
			got, err := Discover(dir)
			if tt.wantErr != "" {
				var pe *Error
				if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want an *Error containing %q", err, tt.wantErr)
				}
				_, lerr := Load(LoadOptions{Dir: dir})
				if !IsUserError(lerr) {
					t.Errorf("Load err = %v, want a user error", lerr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Discover = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestLoadMissingFiles(t *testing.T) {
	dir := t.TempDir()
	for _, opts := range []LoadOptions{
		{File: filepath.Join(dir, "nope.yaml")},
		{OrgPath: filepath.Join(dir, "org.yaml")},
		{File: dir},
	} {
		_, err := Load(opts)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("Load(%+v) err = %v, want *Error", opts, err)
		}
	}
}

func TestSHA256Stable(t *testing.T) {
	a := `version: 1
gates:
  fail_on: medium
  exclude: ["gen/**", "build/**"]
models:
  allow:
    internal: ["anthropic/*"]
    public: ["*/*"]
`
	// Same content: other key order, flow style, quoting and comments.
	b := `# the same policy
models: {allow: {public: ['*/*'], internal: [anthropic/*]}}
gates: {exclude: [gen/**, 'build/**'], fail_on: "medium"}   # tighter
version: 1
`
	ea, err := load(t, "", a)
	if err != nil {
		t.Fatal(err)
	}
	eb, err := load(t, "", b)
	if err != nil {
		t.Fatal(err)
	}
	if ea.SHA256 != eb.SHA256 {
		t.Errorf("equivalent files hash differently:\n%s\n%s", ea.Canonical(), eb.Canonical())
	}
	if len(ea.SHA256) != 64 {
		t.Errorf("SHA256 %q is not a hex sha256", ea.SHA256)
	}
	ec, err := load(t, "", strings.Replace(a, "medium", "low", 1))
	if err != nil {
		t.Fatal(err)
	}
	if ec.SHA256 == ea.SHA256 {
		t.Error("a changed value did not change the sha256")
	}
	ed, err := load(t, "", strings.Replace(a, `["gen/**", "build/**"]`, `["build/**", "gen/**"]`, 1))
	if err != nil {
		t.Fatal(err)
	}
	if ed.SHA256 == ea.SHA256 {
		t.Error("list order is meaningful (first match wins for rules) yet did not change the sha256")
	}
	if Builtin().SHA256 != Builtin().SHA256 {
		t.Error("Builtin sha256 not deterministic")
	}
}

func TestAnnotatedYAMLRoundTrips(t *testing.T) {
	e, err := load(t, "", "version: 1\ngates:\n  fail_on: low\n")
	if err != nil {
		t.Fatal(err)
	}
	y, err := e.AnnotatedYAML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(y), "fail_on: low # warden.yaml") || !strings.Contains(string(y), "max_db_age: 1w # builtin") {
		t.Errorf("annotated YAML lacks sources:\n%s", y)
	}
	// What show prints is itself a valid policy with the same meaning.
	p, err := Parse("shown.yaml", y)
	if err != nil {
		t.Fatalf("shown policy does not parse: %v", err)
	}
	if diff := cmp.Diff(&e.Policy, p, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("shown policy differs (-effective +parsed):\n%s", diff)
	}
}

func TestWarnings(t *testing.T) {
	e, err := load(t, "", `version: 1
project: {classification: restricted}
exceptions:
  - {rule: r1, reason: a, owner: alice, expires: 2020-01-31}
  - {rule: r2, reason: b, owner: bob, expires: 2030-01-31}
  - {rule: r3, reason: c}
`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range e.Warnings(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		got = append(got, w.String())
	}
	want := []string{
		"warden.yaml: exceptions[0]: exception for r1 expired on 2020-01-31 and no longer suppresses anything; renew or remove it",
		"warden.yaml: exceptions[2]: exception for r3 never expires; add expires: YYYY-MM-DD so it is reviewed",
		"warden.yaml: exceptions[2]: exception for r3 has no owner",
		"builtin: models.allow.restricted: the project is restricted but models.allow lets no model see restricted code; add the models that may",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if w := Builtin().Warnings(time.Now()); len(w) != 0 {
		t.Errorf("the built-in policy has warnings: %v", w)
	}
}
