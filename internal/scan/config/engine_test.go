package config

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/redact"
	"github.com/wardenhq/warden/internal/scan"
)

func scanOne(t testing.TB, path, content string) []finding.Finding {
	t.Helper()
	var out []finding.Finding
	err := New().Scan(context.Background(), scan.File{Path: path, Content: []byte(content)}, func(f finding.Finding) { out = append(out, f) })
	if err != nil {
		t.Fatalf("Scan(%s): %v", path, err)
	}
	return out
}

// pos is the part of a finding its location tests compare.
type pos struct {
	Rule      string
	Line, Col int
}

func positions(fs []finding.Finding) []pos {
	out := make([]pos, 0, len(fs))
	for _, f := range fs {
		out = append(out, pos{f.RuleID, f.StartLine, f.StartColumn})
	}
	return out
}

// TestLocations checks that findings point at the offending key or value,
// line and column, in every syntax.
func TestLocations(t *testing.T) {
	tests := []struct {
		name, path, content string
		want                []pos
	}{
		{
			name:    "dockerfile indented instruction",
			path:    "svc/Dockerfile",
			content: "FROM alpine:3.20\n  USER root\n",
			want:    []pos{{"docker-user-root", 2, 3}},
		},
		{
			name:    "workflow expression inside a block scalar",
			path:    ".github/workflows/x.yml",
			content: "on: issues\njobs:\n  a:\n    steps:\n      - run: |\n          ls\n          echo \"${{ github.event.issue.title }}\"\n",
			want:    []pos{{"gha-script-injection", 7, 17}},
		},
		{
			name:    "workflow uses value",
			path:    ".github/workflows/x.yaml",
			content: "on: push\njobs:\n  a:\n    steps:\n      - uses: foo/bar@v1\n",
			want:    []pos{{"gha-unpinned-action", 5, 15}},
		},
		{
			name:    "kubernetes flow mapping",
			path:    "k/pod.yml",
			content: "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - {name: a, image: 'x:1', securityContext: {privileged: true}, resources: {limits: {cpu: 1, memory: 1Gi}}}\n",
			want:    []pos{{"k8s-privileged", 5, 59}},
		},
		{
			name:    "json with comments keeps offsets",
			path:    ".claude/settings.json",
			content: "{\n  // everything\n  \"permissions\": {\"allow\": [ /* yolo */ \"Bash\" ]}\n}\n",
			want:    []pos{{"claude-bash-allow-all", 3, 41}},
		},
		{
			name:    "json multi-byte text before the value",
			path:    ".mcp.json",
			content: "{\"mcpServers\": {\"é\": {\"command\": \"npx\", \"args\": [\"-y\", \"pkg\"]}}}",
			want:    []pos{{"mcp-unpinned-package", 1, 57}},
		},
		{
			name:    "terraform attribute",
			path:    "main.tf",
			content: "resource \"aws_s3_bucket\" \"b\" {\n    acl = \"public-read\"\n}\n",
			want:    []pos{{"tf-public-bucket-acl", 2, 5}},
		},
		{
			name:    "terraform missing attribute points at the block",
			path:    "m/main.tf",
			content: "\n  resource \"aws_efs_file_system\" \"f\" {}\n",
			want:    []pos{{"tf-unencrypted-efs", 2, 3}},
		},
		{
			name:    "cloudformation intrinsic tags are not literals",
			path:    "cfn.yaml",
			content: "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      AccessControl: !Ref Acl\n  V:\n    Type: AWS::EC2::Volume\n    Properties: {Encrypted: false}\n",
			want:    []pos{{"cfn-unencrypted-ebs", 8, 29}},
		},
		{
			name:    "hidden tag characters column is the byte offset",
			path:    "docs/AGENTS.md",
			content: "ok\nab\U000E0041\U000E0042c\n",
			want:    []pos{{"instructions-unicode-tags", 2, 3}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := positions(scanOne(t, tt.path, tt.content))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFindingFields checks a whole finding once: rule metadata copied,
// message ending with the fix, snippet and a fingerprint that does not
// change when unrelated lines move.
func TestFindingFields(t *testing.T) {
	got := scanOne(t, "Dockerfile", "FROM node:latest\nUSER node\n")
	want := []finding.Finding{{
		RuleID:   "docker-latest-tag",
		Engine:   "config",
		Severity: finding.SeverityMedium,
		Title:    "Base image uses the mutable latest tag",
		Message:  "FROM node:latest follows whatever the tag points at today. " + ruleIndex["docker-latest-tag"].fix,
		CWE:      "CWE-829",
		Location: finding.Location{Path: "Dockerfile", StartLine: 1, StartColumn: 1, EndLine: 1, EndColumn: 17},
		Snippet:  "FROM node:latest",
	}}
	if diff := cmp.Diff(want, got, cmpIgnoreFingerprint); diff != "" {
		t.Errorf("finding (-want +got):\n%s", diff)
	}
	moved := scanOne(t, "Dockerfile", "# a comment\n\nFROM node:latest\nUSER node\n")
	if len(moved) != 1 || moved[0].Fingerprint != got[0].Fingerprint || got[0].Fingerprint == "" {
		t.Errorf("fingerprint changed when lines moved: %+v vs %+v", got, moved)
	}
}

var cmpIgnoreFingerprint = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Fingerprint" }, cmp.Ignore())

// TestNoSecretInOutput plants credentials in every place a rule looks at
// (and next to what other rules flag) and checks that no finding field
// carries them.
func TestNoSecretInOutput(t *testing.T) {
	const (
		ghToken  = "ghp_R8d3xLq2mZ7wKp4vN9sT1yU6bC0aF5hJ2gE8"
		password = "Corr3ct-H0rse-Battery"
		awsKey   = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	)
	files := map[string]string{
		"Dockerfile": "FROM node\nENV DB_PASSWORD=" + password + "\nARG GITHUB_TOKEN=" + ghToken + "\n" +
			"RUN curl -H 'Authorization: token " + ghToken + "' https://x.example/i.sh | sh\n",
		"k8s.yaml":           "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    image: a\n    env:\n    - name: API_TOKEN\n      value: " + ghToken + "\n",
		"docker-compose.yml": "services:\n  a:\n    privileged: true # " + ghToken + "\n    environment:\n      AWS_SECRET_ACCESS_KEY: " + awsKey + "\n",
		"main.tf":            "provider \"aws\" {\n  secret_key = \"" + awsKey + "\"\n}\nresource \"aws_db_instance\" \"d\" {\n  password = \"" + password + "\"\n  publicly_accessible = true\n}\n",
		"t.json":             `{"AWSTemplateFormatVersion":"2010-09-09","Resources":{"D":{"Type":"AWS::RDS::DBInstance","Properties":{"MasterUserPassword":"` + password + `","StorageEncrypted":true}}}}`,
		".mcp.json": `{"mcpServers":{"g":{"command":"npx","args":["-y","srv","--token","` + password + `", "` + ghToken + `"],"env":{"GITHUB_TOKEN":"` + ghToken + `"},` +
			`"url":"http://u:` + password + `@mcp.example.com/?api_key=` + awsKey + `","headers":{"Authorization":"Bearer ` + password + `"}}}}`,
		".github/workflows/w.yml": "on: push\njobs:\n  a:\n    steps:\n      - uses: foo/bar@v1 # " + ghToken + "\n      - run: echo " + ghToken + " ${{ secrets.X }}\n",
		"CLAUDE.md":               "hi\U000E0041" + string(tagString(ghToken)) + "\n",
		// A broken file: the parser's error must not quote the secret.
		".claude/settings.json":          `{"permissions": {"allow": ["` + ghToken + `"]`,
		"broken/.github/workflows/b.yml": "on: push\njobs: [\n  " + ghToken + ": : :\n",
	}
	total := 0
	for path, content := range files {
		fs := scanOne(t, path, content)
		if len(fs) == 0 {
			t.Errorf("%s: no findings; the test plants secrets next to flagged lines", path)
		}
		total += len(fs)
		b, err := json.Marshal(fs)
		if err != nil {
			t.Fatal(err)
		}
		for _, sec := range []string{ghToken, password, awsKey, ghToken[4:20], password[:12]} {
			if strings.Contains(string(b), sec) {
				t.Errorf("%s: a finding carries a planted secret (%d chars) in its output", path, len(sec))
			}
		}
	}
	if total < 20 {
		t.Errorf("only %d findings over the planted files; rules stopped firing", total)
	}
}

func tagString(s string) []rune {
	var r []rune
	for _, c := range s {
		r = append(r, 0xE0000+c)
	}
	return r
}

// TestUnparsable: a file that is certainly configuration but does not
// parse is reported; a .yaml file that may be anything is not.
func TestUnparsable(t *testing.T) {
	tests := []struct {
		path, content string
		want          []pos
	}{
		{".github/workflows/ci.yml", "on: push\njobs:\n  a: [\n", []pos{{ruleUnparsable, 3, 1}}},
		{".mcp.json", `{"mcpServers": `, []pos{{ruleUnparsable, 1, 1}}},
		{"docker-compose.yml", "services:\n\tweb: {}\n", []pos{{ruleUnparsable, 2, 1}}},
		{"main.tf", "resource \"a\" \"b\" {\n  x = \n}\n", []pos{{ruleUnparsable, 2, 7}}},
		{"chart/templates/d.yaml", "apiVersion: v1\nkind: Pod\nspec: {{ .Values.spec }\n", []pos{}},
		{"package.json", `{"name": "x", "version": "1.0.0"`, []pos{}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got := positions(scanOne(t, tt.path, tt.content))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestWants(t *testing.T) {
	e := New()
	tests := map[string]bool{
		"Dockerfile":                              true,
		"build/Dockerfile.prod":                   true,
		"api.dockerfile":                          true,
		"Containerfile":                           true,
		".github/workflows/ci.yml":                true,
		"sub/.github/workflows/ci.yaml":           true,
		".github/workflows/README.md":             false,
		"docker-compose.yml":                      true,
		"compose.prod.yaml":                       true,
		"infra/main.tf":                           true,
		".claude/settings.json":                   true,
		".claude/settings.local.json":             true,
		".mcp.json":                               true,
		".cursor/mcp.json":                        true,
		".vscode/mcp.json":                        true,
		"notes.txt":                               false,
		".gemini/settings.json":                   true,
		"CLAUDE.md":                               true,
		"pkg/AGENTS.md":                           true,
		".cursor/rules/style.mdc":                 true,
		".github/copilot-instructions.md":         true,
		".github/instructions/go.instructions.md": true,
		"README.md":                               false,
		"k8s/deploy.yaml":                         true,
		"cfn/stack.json":                          true,
		"main.go":                                 false,
		"Dockerfile.go":                           false,
		"internal/scan/config/dockerfile.go":      false,
		"docs/Dockerfile.md":                      false,
		"Dockerfile.alpine":                       true,
		"docs/dockerfile-guide.md":                false,
	}
	for p, want := range tests {
		if got := e.Wants(p); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
}

var ruleIDRe = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)+$`)

func TestRuleTable(t *testing.T) {
	rules := New().Rules()
	if len(rules) < 41 { // 40 rules plus config-unparsable
		t.Errorf("only %d rules, want at least 40 plus config-unparsable", len(rules))
	}
	for _, r := range rules {
		if !ruleIDRe.MatchString(r.ID) || r.Engine != EngineName || r.Title == "" || !r.Severity.Valid() || len(r.Help) < len(r.Title)+20 {
			t.Errorf("rule %+v is incomplete", r)
		}
		if r.ID != ruleUnparsable && !regexp.MustCompile(`^CWE-\d+$`).MatchString(r.CWE) {
			t.Errorf("rule %s has CWE %q", r.ID, r.CWE)
		}
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := New().Scan(ctx, scan.File{Path: "Dockerfile", Content: []byte("FROM x\n")}, func(finding.Finding) { t.Error("reported after cancel") })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Scan with a cancelled context = %v, want context.Canceled", err)
	}
}

// TestConcurrentScan runs one engine over the corpus from many goroutines
// (the pipeline does) and checks every goroutine sees the same findings.
func TestConcurrentScan(t *testing.T) {
	e := New()
	cases := loadCorpus(t)
	var want []int
	for _, c := range cases {
		want = append(want, len(scanCase(t, e, c)))
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, c := range cases {
				if n := len(scanCase(t, e, c)); n != want[i] {
					t.Errorf("%s: %d findings concurrently, %d alone", c.name, n, want[i])
				}
			}
		}()
	}
	wg.Wait()
}

func TestUntrustedExpr(t *testing.T) {
	tests := map[string]bool{
		" github.event.issue.title ":                          true,
		"github.event.commits[0].message":                     true,
		"github.event['pull_request']['title']":               true,
		"toJSON(github.event)":                                true,
		"github.head_ref || 'main'":                           true,
		"github.event.pages[1].page_name":                     true,
		"github.event.workflow_run.pull_requests[0].head.ref": true,
		"github.event.client_payload.cmd":                     true,
		"github.event.pull_request.number":                    false,
		"github.event.pull_request.head.sha":                  false,
		"github.event.issue.user.login == 'x'":                false,
		"github.event.repository.name":                        false,
		"github.ref_name":                                     false,
		"inputs.title":                                        false,
		"format('{0}', github.sha)":                           false,
		"toJSON(github.event.pull_request.labels)":            false,
	}
	for expr, want := range tests {
		if got := untrustedExpr(expr); got != want {
			t.Errorf("untrustedExpr(%q) = %v, want %v", expr, got, want)
		}
	}
}

func TestShellChecks(t *testing.T) {
	pipe := map[string]bool{
		"curl -fsSL https://x/i.sh | bash":                              true,
		"curl -s https://x | sudo -E bash -":                            true,
		"wget -qO- https://x | python3 -":                               true,
		"curl https://x | tee /tmp/i.sh | sh":                           true,
		"bash <(curl -s https://x)":                                     true,
		"sh -c \"$(curl -fsSL https://x)\"":                             true,
		"eval \"$(wget -qO- https://x)\"":                               true,
		"iex ((New-Object Net.WebClient).DownloadString('https://x'))":  true,
		"curl -s https://api/x | jq -r .tag":                            false,
		"V=$(curl -s https://api/x | jq -r .v) && echo $V":              false,
		"curl -o /tmp/i.sh https://x && sha256sum -c s && sh /tmp/i.sh": false,
		"echo curl | grep sh":                                           false,
	}
	for cmd, want := range pipe {
		if got := pipeToShell(asciiLower(cmd)) >= 0; got != want {
			t.Errorf("pipeToShell(%q) = %v, want %v", cmd, got, want)
		}
	}
	tls := map[string]bool{
		"curl -sSLk https://x":                       true,
		"curl --insecure https://x":                  true,
		"wget --no-check-certificate https://x":      true,
		"git config --global http.sslVerify false":   true,
		"export NODE_TLS_REJECT_UNAUTHORIZED=0":      true,
		"curl -fsSL -o kubectl https://x":            false,
		"curl -H 'X-k: v' https://x":                 false,
		"curl https://x | sort -k2":                  false,
		"pip install --index-url https://x requests": false,
	}
	for cmd, want := range tls {
		if got := tlsOff(asciiLower(cmd)); got != want {
			t.Errorf("tlsOff(%q) = %v, want %v", cmd, got, want)
		}
	}
}

func TestMaskTokens(t *testing.T) {
	tests := map[string]string{
		"FROM node:20@sha256:c0a3f1e2d4b5a6978877665544332211c0a3f1e2d4b5a6978877665544332211": "FROM node:20@sha256:c0a3f1e2d4b5a6978877665544332211c0a3f1e2d4b5a6978877665544332211",
		"uses: acme/act@8f4b7f84864484a7bf31766abe9204da3cbe65b3 # v1":                         "uses: acme/act@8f4b7f84864484a7bf31766abe9204da3cbe65b3 # v1",
		"path: /usr/local/lib/python3.12/site-packages/x":                                      "path: /usr/local/lib/python3.12/site-packages/x",
		"token: 8f4b7f84864484a7bf31766abe9204da3cbe65b3":                                      "token: 8f4b****(40 chars, sha256:" + redact.Hash("8f4b7f84864484a7bf31766abe9204da3cbe65b3") + ")",
		"-H 'Authorization: Bearer abcdefghij0123456789XYZ'":                                   "-H 'Authorization: Bearer abcd****(23 chars, sha256:" + redact.Hash("abcdefghij0123456789XYZ") + ")'",
	}
	for in, want := range tests {
		if got := maskTokens(in); got != want {
			t.Errorf("maskTokens(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}

// TestEmittedRulesExist reads the package's source for every rule id
// passed to emit, so that a typo is a test failure and never reaches emit's
// panic at run time.
func TestEmittedRulesExist(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	lit := regexp.MustCompile(`emit(?:At)?\("([^"]+)"`)
	dyn := regexp.MustCompile(`emit\(prefix\+"([^"]+)"`)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range lit.FindAllStringSubmatch(string(src), -1) {
			n++
			if _, ok := ruleIndex[m[1]]; !ok {
				t.Errorf("%s emits unknown rule %q", f, m[1])
			}
		}
		for _, m := range dyn.FindAllStringSubmatch(string(src), -1) {
			for _, prefix := range []string{"tf", "cfn"} {
				n++
				if _, ok := ruleIndex[prefix+m[1]]; !ok {
					t.Errorf("%s emits unknown rule %q", f, prefix+m[1])
				}
			}
		}
	}
	if n < 60 {
		t.Errorf("found only %d emit calls; the pattern no longer matches the source", n)
	}
}
