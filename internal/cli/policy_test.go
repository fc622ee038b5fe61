package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/policy"
)

func init() {
	// The machine's own organization baseline must not leak into tests.
	defaultOrgPolicy = filepath.Join(os.TempDir(), "warden-test-no-org-policy.yaml")
}

// runPolicyCLI runs warden in dir with the given environment variables.
func runPolicyCLI(t *testing.T, dir string, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Dir: dir,
		Getenv: func(k string) string { return env[k] },
	}
	code = Main(context.Background(), args, e)
	return code, out.String(), errb.String()
}

func writePolicyFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var policySHARE = regexp.MustCompile(`sha256:[0-9a-f]{64}`)

func TestPolicyCheck(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		env      map[string]string
		args     []string
		wantCode int
		// wantOut and wantErr are regular expressions the output must match.
		wantOut, wantErr string
	}{
		{
			name:     "no policy file uses the built-in policy",
			args:     []string{"policy", "check"},
			wantCode: ExitPass,
			wantOut:  `^OK policy sha256:[0-9a-f]{64}\nlayers: builtin\n$`,
		},
		{
			name:     "valid repository policy",
			files:    map[string]string{"warden.yaml": "version: 1\ngates:\n  fail_on: medium\n"},
			args:     []string{"policy", "check"},
			wantCode: ExitPass,
			wantOut:  `layers: builtin < warden.yaml\n$`,
		},
		{
			name:     "alternative location",
			files:    map[string]string{".warden/policy.yaml": "version: 1\n"},
			args:     []string{"policy", "check"},
			wantCode: ExitPass,
			wantOut:  `layers: builtin < \.warden/policy\.yaml\n$`,
		},
		{
			name:     "explicit policy file",
			files:    map[string]string{"ci/strict.yaml": "version: 1\ngates:\n  fail_on: low\n"},
			args:     []string{"policy", "check", "--policy", "ci/strict.yaml"},
			wantCode: ExitPass,
			wantOut:  `layers: builtin < .*ci/strict\.yaml\n$`,
		},
		{
			name:     "one error names file line column and key",
			files:    map[string]string{"warden.yaml": "version: 1\ngates:\n  fial_on: high\n"},
			args:     []string{"policy", "check"},
			wantCode: ExitUsage,
			wantErr:  `^warden: invalid policy: warden\.yaml:3:3: gates\.fial_on: unknown key \(did you mean "fail_on"\?\)\n$`,
		},
		{
			name:     "several errors, one per line",
			files:    map[string]string{"warden.yaml": "version: 1\ngates:\n  fail_on: hihg\n  exclude: ['[']\n"},
			args:     []string{"policy", "check"},
			wantCode: ExitUsage,
			wantErr:  `invalid policy \(2 problems\):\n  warden\.yaml:3:12: gates\.fail_on: .*\n  warden\.yaml:4:13: gates\.exclude\[0\]: bad glob`,
		},
		{
			name:     "both policy files",
			files:    map[string]string{"warden.yaml": "version: 1\n", ".warden/policy.yaml": "version: 1\n"},
			args:     []string{"policy", "check"},
			wantCode: ExitUsage,
			wantErr:  `both warden\.yaml and \.warden/policy\.yaml exist`,
		},
		{
			name:     "missing explicit file",
			args:     []string{"policy", "check", "--policy", "nope.yaml"},
			wantCode: ExitUsage,
			wantErr:  `nope\.yaml: cannot read policy: no such file`,
		},
		{
			name: "organization lock loosened",
			files: map[string]string{
				"org.yaml":    "version: 1\nlocks: [gates.fail_on]\ngates:\n  fail_on: medium\n",
				"warden.yaml": "version: 1\ngates:\n  fail_on: critical\n",
			},
			env:      map[string]string{"WARDEN_ORG_POLICY": "org.yaml"},
			args:     []string{"policy", "check"},
			wantCode: ExitUsage,
			wantErr:  `warden\.yaml:3:12: gates\.fail_on: critical is looser than the organization's medium.*locked by the organization policy .*org\.yaml`,
		},
		{
			name: "organization lock tightened",
			files: map[string]string{
				"org.yaml":    "version: 1\nlocks: [gates.fail_on]\ngates:\n  fail_on: medium\n",
				"warden.yaml": "version: 1\ngates:\n  fail_on: low\n",
			},
			env:      map[string]string{"WARDEN_ORG_POLICY": "org.yaml"},
			args:     []string{"policy", "check"},
			wantCode: ExitPass,
			wantOut:  `layers: builtin < .*org\.yaml < warden\.yaml\n$`,
		},
		{
			name:     "bad flag",
			args:     []string{"policy", "check", "--nope"},
			wantCode: ExitUsage,
			wantErr:  `unknown flag: --nope`,
		},
		{
			name:     "extra argument",
			args:     []string{"policy", "check", "x"},
			wantCode: ExitUsage,
			wantErr:  `unknown command "x"|accepts 0 arg`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writePolicyFiles(t, dir, tt.files)
			code, out, errOut := runPolicyCLI(t, dir, tt.env, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
			if tt.wantOut != "" && !regexp.MustCompile(tt.wantOut).MatchString(out) {
				t.Errorf("stdout does not match %s:\n%s", tt.wantOut, out)
			}
			if tt.wantErr != "" && !regexp.MustCompile(tt.wantErr).MatchString(errOut) {
				t.Errorf("stderr does not match %s:\n%s", tt.wantErr, errOut)
			}
			if tt.wantCode != ExitPass && out != "" {
				t.Errorf("failed command wrote to stdout:\n%s", out)
			}
		})
	}
}

func TestPolicyShow(t *testing.T) {
	dir := t.TempDir()
	writePolicyFiles(t, dir, map[string]string{"warden.yaml": "version: 1\ngates:\n  fail_on: low\n"})

	code, out, errOut := runPolicyCLI(t, dir, nil, "policy", "show")
	if code != ExitPass {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"# layers: builtin < warden.yaml\n", "    fail_on: low # warden.yaml\n", "    max_file_size: 1MiB # builtin\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("show output lacks %q:\n%s", want, out)
		}
	}
	sha := policySHARE.FindString(out)

	code, out, errOut = runPolicyCLI(t, dir, nil, "policy", "show", "--json")
	if code != ExitPass {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		SHA256  string            `json:"sha256"`
		Layers  []string          `json:"layers"`
		Policy  map[string]any    `json:"policy"`
		Sources map[string]string `json:"sources"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, out)
	}
	if "sha256:"+got.SHA256 != sha {
		t.Errorf("json sha256 %s, text %s", got.SHA256, sha)
	}
	if got.Sources["gates.fail_on"] != "warden.yaml" || got.Sources["gates.max_db_age"] != policy.BuiltinSource {
		t.Errorf("sources: fail_on=%q max_db_age=%q", got.Sources["gates.fail_on"], got.Sources["gates.max_db_age"])
	}
	if gates, _ := got.Policy["gates"].(map[string]any); gates["fail_on"] != "low" {
		t.Errorf("policy.gates.fail_on = %v, want low", gates["fail_on"])
	}
	// The sha256 check prints is the one show prints.
	_, checkOut, _ := runPolicyCLI(t, dir, nil, "policy", "check")
	if policySHARE.FindString(checkOut) != sha {
		t.Errorf("check sha %q != show sha %q", policySHARE.FindString(checkOut), sha)
	}
}

func TestPolicyHelpHasExamples(t *testing.T) {
	for _, args := range [][]string{{"policy", "--help"}, {"policy", "check", "--help"}, {"policy", "show", "--help"}} {
		code, out, _ := runPolicyCLI(t, t.TempDir(), nil, args...)
		if code != ExitPass || !strings.Contains(out, "Examples:") || !strings.Contains(out, "warden policy") {
			t.Errorf("%v: exit %d, output lacks examples:\n%s", args, code, out)
		}
	}
}
