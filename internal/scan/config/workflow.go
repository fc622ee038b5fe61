package config

import (
	"bytes"
	"github.com/wardenhq/warden/internal/lazyre"
	"regexp"
	"sort"
	"strings"
)

// yamlDocs parses the file as YAML, turning a syntax error into a
// parseError with the parser's line when it gave one.
func (s *scanner) yamlDocs() ([]*node, error) {
	docs, err := parseYAML(s.src)
	if err != nil {
		line := 1
		if m := yamlErrLine.FindStringSubmatch(err.Error()); m != nil {
			line = atoiSafe(m[1])
		}
		return nil, &parseError{line: line, col: 1, err: err}
	}
	return docs, nil
}

var yamlErrLine = lazyre.New(`line (\d+)`)

func atoiSafe(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' || n > 1e8 {
			return 1
		}
		n = n*10 + int(c-'0')
	}
	if n < 1 {
		return 1
	}
	return n
}

// untrustedExact lists GitHub contexts an outside contributor controls:
// titles, bodies, branch names, commit messages, author names and emails.
var untrustedExact = map[string]bool{
	"github.head_ref":                                    true,
	"github.event":                                       true, // toJSON(github.event) carries all of them
	"github.event.pull_request.head.ref":                 true,
	"github.event.pull_request.head.label":               true,
	"github.event.pull_request.head.repo.default_branch": true,
	"github.event.pull_request.head.repo.description":    true,
	"github.event.comment.body":                          true,
	"github.event.review.body":                           true,
	"github.event.review_comment.body":                   true,
	"github.event.workflow_run.head_branch":              true,
	"github.event.workflow_run.display_title":            true,
	"github.event.workflow_run.head_commit.message":      true,
	"github.event.workflow_run.head_commit.author.email": true,
	"github.event.workflow_run.head_commit.author.name":  true,
}

// untrustedContext reports whether a context path (as written inside
// ${{ }}, indexes normalised to .*) is attacker-controlled.
func untrustedContext(p string) bool {
	if untrustedExact[p] {
		return true
	}
	rest, ok := strings.CutPrefix(p, "github.event.")
	if !ok {
		return false
	}
	obj, field, _ := strings.Cut(rest, ".")
	switch obj {
	case "issue", "pull_request", "discussion", "release", "pull_request_target":
		return field == "title" || field == "body" || field == "name"
	case "pages":
		return strings.HasSuffix(rest, ".page_name")
	case "commits", "head_commit":
		return strings.HasSuffix(rest, ".message") || strings.HasSuffix(rest, ".email") || strings.HasSuffix(rest, ".name")
	case "workflow_run":
		return strings.HasPrefix(field, "pull_requests") && strings.HasSuffix(rest, ".head.ref")
	case "client_payload":
		return true
	}
	return false
}

// contextPaths extracts the dotted context references in an expression.
func contextPaths(expr string) []string {
	var out []string
	for i := 0; i < len(expr); {
		c := expr[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
			i++
			continue
		}
		j := i
		for j < len(expr) && (isWordByte(expr[j]) || expr[j] == '[' || expr[j] == ']' || expr[j] == '*' || expr[j] == '\'' || expr[j] == '"') {
			j++
		}
		p := expr[i:j]
		if strings.ContainsAny(p, "['\"") {
			p = normalizeIndex(p)
		}
		out = append(out, strings.TrimRight(p, "."))
		i = j
	}
	return out
}

// normalizeIndex rewrites commits[0].message and x['y'] as commits.*.message
// and x.y.
func normalizeIndex(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '[' {
			b.WriteByte(p[i])
			continue
		}
		j := strings.IndexByte(p[i:], ']')
		if j < 0 {
			break
		}
		inner := strings.Trim(p[i+1:i+j], "'\"")
		if inner == "" || inner[0] >= '0' && inner[0] <= '9' || inner == "*" {
			inner = "*"
		}
		b.WriteByte('.')
		b.WriteString(inner)
		i += j
	}
	return b.String()
}

func untrustedExpr(expr string) bool {
	if !strings.Contains(expr, "github.") {
		return false
	}
	for _, p := range contextPaths(expr) {
		if untrustedContext(p) {
			return true
		}
	}
	return false
}

// untrustedCheckoutRef matches refs that name the pull request's own code.
var untrustedCheckoutRef = lazyre.New(`github\.event\.pull_request\.head\.(sha|ref)|github\.head_ref|refs/pull/|github\.event\.workflow_run\.head_(sha|branch)|github\.event\.pull_request\.merge_commit_sha|github\.event\.number|github\.event\.pull_request\.number`)

var fullSHA = lazyre.New(`^[0-9a-f]{40}$`)

var secretExpr = lazyre.New(`\$\{\{\s*secrets\.[A-Za-z0-9_]+\s*\}\}`)

var printCmd = lazyre.New(`(?i)(^|[;&|(]\s*|\bthen\s+|\bdo\s+)(echo|printf|write-host|write-output|console\.log|print)\b`)

func (s *scanner) workflow() error {
	docs, err := s.yamlDocs()
	if err != nil {
		return err
	}
	for _, root := range docs {
		if root.kind != kindMap {
			continue
		}
		triggers := workflowTriggers(root.get("on"))
		privileged := triggers["pull_request_target"] || triggers["workflow_run"]
		s.checkPermissions(root)
		rootSecrets := secretEnvNames(root.get("env"))
		s.checkUnsecureCommands(root.get("env"))
		jobs := root.get("jobs")
		if jobs == nil || jobs.kind != kindMap {
			continue
		}
		for _, job := range jobs.vals {
			if job.kind != kindMap {
				continue
			}
			s.checkPermissions(job)
			s.checkUnsecureCommands(job.get("env"))
			if u := job.get("uses"); u != nil {
				s.checkUses(u)
			}
			jobSecrets := merge(rootSecrets, secretEnvNames(job.get("env")))
			steps := job.get("steps")
			if steps == nil || steps.kind != kindSeq {
				continue
			}
			for _, step := range steps.items {
				if step.kind != kindMap {
					continue
				}
				s.checkUnsecureCommands(step.get("env"))
				uses := step.get("uses")
				if uses != nil {
					s.checkUses(uses)
					if privileged && strings.HasPrefix(strings.ToLower(uses.text()), "actions/checkout@") {
						if ref := step.path("with", "ref"); ref != nil && untrustedCheckoutRef.MatchString(ref.text()) {
							s.emit("gha-pr-target-checkout", ref.line, ref.col, "a pull_request_target/workflow_run job checks out "+oneLine(ref.text()))
						}
						if repo := step.path("with", "repository"); repo != nil && strings.Contains(repo.text(), "github.event.pull_request.head.repo.full_name") {
							s.emit("gha-pr-target-checkout", repo.line, repo.col, "a pull_request_target job checks out the fork's repository")
						}
					}
					if strings.HasPrefix(strings.ToLower(uses.text()), "actions/github-script@") {
						if sc := step.path("with", "script"); sc != nil {
							s.checkInjection(sc, "script")
						}
					}
				}
				run := step.get("run")
				if run == nil || run.kind != kindScalar {
					continue
				}
				s.checkInjection(run, "run")
				body := run.text()
				if privileged {
					if l := checkoutLine(body); l != "" {
						line, col := s.locate(run, l)
						s.emit("gha-pr-target-checkout", line, col, "a pull_request_target/workflow_run job checks out pull request code in a script")
					}
				}
				if i := pipeToShell(asciiLower(body)); i >= 0 {
					line, col := s.locate(run, strings.TrimSpace(firstLine(body[i:])))
					s.emit("gha-pipe-to-shell", line, col, "the step pipes a downloaded script into an interpreter")
				}
				stepSecrets := merge(jobSecrets, secretEnvNames(step.get("env")))
				s.checkSecretEcho(run, stepSecrets)
			}
		}
	}
	return nil
}

// checkoutLine returns the first script line that fetches or checks out
// the pull request's code: gh pr checkout, or a git checkout/fetch/switch/
// reset/pull naming the PR head on the same line.
func checkoutLine(body string) string {
	if !strings.Contains(body, "gh pr checkout") && !strings.Contains(body, "git ") {
		return ""
	}
	for _, l := range strings.Split(body, "\n") {
		t := strings.TrimSpace(l)
		if strings.Contains(t, "gh pr checkout") {
			return t
		}
		for _, verb := range []string{"git checkout", "git fetch", "git switch", "git reset", "git pull", "git worktree add"} {
			if strings.Contains(t, verb) && untrustedCheckoutRef.MatchString(t) {
				return t
			}
		}
	}
	return ""
}

func merge(a, b map[string]bool) map[string]bool {
	if len(b) == 0 {
		return a
	}
	m := make(map[string]bool, len(a)+len(b))
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// workflowTriggers reads on: as a string, list or map.
func workflowTriggers(on *node) map[string]bool {
	t := map[string]bool{}
	if on == nil {
		return t
	}
	switch on.kind {
	case kindScalar:
		t[on.str] = true
	case kindSeq:
		for _, it := range on.items {
			t[it.text()] = true
		}
	case kindMap:
		for _, k := range on.keys {
			t[k.str] = true
		}
	}
	return t
}

func (s *scanner) checkPermissions(n *node) {
	p := n.get("permissions")
	if p != nil && p.kind == kindScalar && strings.EqualFold(strings.TrimSpace(p.str), "write-all") {
		s.emit("gha-write-all-permissions", p.line, p.col, "permissions: write-all grants the token every write scope")
	}
}

func (s *scanner) checkUnsecureCommands(env *node) {
	if v := env.get("ACTIONS_ALLOW_UNSECURE_COMMANDS"); v != nil && (v.isTrue() || v.text() == "1") {
		s.emit("gha-unsecure-commands", v.line, v.col, "ACTIONS_ALLOW_UNSECURE_COMMANDS re-enables ::set-env and ::add-path")
	}
}

// checkUses reports third-party actions and reusable workflows that are not
// pinned to a commit SHA, and docker:// images without a digest.
func (s *scanner) checkUses(u *node) {
	ref := strings.TrimSpace(u.text())
	switch {
	case ref == "" || strings.HasPrefix(ref, "./") || strings.Contains(ref, "${{"):
		return
	case strings.HasPrefix(ref, "docker://"):
		if !strings.Contains(ref, "@sha256:") {
			s.emit("gha-unpinned-docker-image", u.line, u.col, ref+" is not pinned to a digest")
		}
		return
	}
	name, version, ok := strings.Cut(ref, "@")
	owner, _, _ := strings.Cut(name, "/")
	switch strings.ToLower(owner) {
	case "actions", "github":
		return // GitHub's own actions
	}
	if !ok || !fullSHA.MatchString(version) {
		s.emit("gha-unpinned-action", u.line, u.col, name+" is referenced by "+orNone(version)+", not a commit SHA")
	}
}

func orNone(v string) string {
	if v == "" {
		return "no version"
	}
	return "@" + v
}

// checkInjection reports untrusted ${{ }} expressions in a script.
func (s *scanner) checkInjection(n *node, where string) {
	body := n.text()
	if !strings.Contains(body, "${{") {
		return
	}
	for rest := body; ; {
		i := strings.Index(rest, "${{")
		if i < 0 {
			break
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			break
		}
		expr := rest[i : i+j+2]
		rest = rest[i+j+2:]
		if untrustedExpr(expr[3 : len(expr)-2]) {
			line, col := s.locate(n, expr)
			s.emit("gha-script-injection", line, col, strings.TrimSpace(expr)+" is expanded into the "+where+" script before the shell sees it")
		}
	}
}

// secretEnvNames lists env variables whose value is a secrets.* expression.
func secretEnvNames(env *node) map[string]bool {
	if env == nil || env.kind != kindMap {
		return nil
	}
	var m map[string]bool
	for i, k := range env.keys {
		if secretExpr.MatchString(env.vals[i].text()) {
			if m == nil {
				m = map[string]bool{}
			}
			m[k.str] = true
		}
	}
	return m
}

// checkSecretEcho reports lines that print a secret to the log: echo or
// printf of ${{ secrets.X }} or of an env variable set from one, unless
// the output goes to a file or another program.
func (s *scanner) checkSecretEcho(run *node, secretVars map[string]bool) {
	body := run.text()
	lowerBody := strings.ToLower(body)
	if !strings.Contains(lowerBody, "echo") && !strings.Contains(lowerBody, "print") && !strings.Contains(lowerBody, "write-") && !strings.Contains(lowerBody, "console.log") {
		return
	}
	if !strings.Contains(body, "secrets.") && len(secretVars) == 0 {
		return
	}
	var varRe *regexp.Regexp
	if len(secretVars) > 0 {
		names := make([]string, 0, len(secretVars))
		for v := range secretVars {
			names = append(names, regexp.QuoteMeta(v))
		}
		sort.Strings(names)
		varRe = regexp.MustCompile(`\$\{?(env:)?(` + strings.Join(names, "|") + `)\b`)
	}
	for _, line := range strings.Split(body, "\n") {
		if !printCmd.MatchString(line) || strings.Contains(line, "::add-mask::") {
			continue
		}
		// Only the part from the print command to the next pipe or
		// redirection reaches the log.
		loc := printCmd.FindStringIndex(line)
		seg := line[loc[0]:]
		if i := strings.IndexAny(seg, "|>"); i >= 0 {
			continue
		} else if j := strings.IndexAny(seg, ";&"); j > 0 {
			seg = seg[:j]
		}
		hit := secretExpr.MatchString(seg) || varRe != nil && varRe.MatchString(seg)
		if hit {
			l, c := s.locate(run, strings.TrimSpace(line))
			s.emit("gha-secret-echoed", l, c, "the step prints a secret to the workflow log")
		}
	}
}

// locate finds needle in the source at or after n's line and returns its
// position, falling back to n's own.
func (s *scanner) locate(n *node, needle string) (int, int) {
	if needle == "" || n.line < 1 || n.line > len(s.lines) {
		return n.line, n.col
	}
	start := s.lines[n.line-1]
	// The value lies within its own text's length of its first line, plus
	// room for quoting and indentation.
	end := min(len(s.src), start+2*len(n.text())+4096)
	if i := bytes.Index(s.src[start:end], []byte(needle)); i >= 0 {
		return s.lines.pos(start + i)
	}
	return n.line, n.col
}

func firstLine(v string) string {
	if i := strings.IndexByte(v, '\n'); i >= 0 {
		return v[:i]
	}
	return v
}

func oneLine(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '\n'); i >= 0 {
		v = v[:i] + "..."
	}
	return v
}
