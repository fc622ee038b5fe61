package install

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/wardenhq/warden/internal/policy"
)

var update = flag.Bool("update", false, "rewrite the want/ files of testdata/golden/*.txtar")

// guidanceMark stands for the rendered guidance block in golden files, so
// that they do not change whenever the guard's summary text does (the
// block itself is checked by TestGuidance).
const guidanceMark = "@@GUIDANCE@@\n"

// TestGolden runs init on each testdata/golden/*.txtar: the in/ files are
// the repository before, the want/ files every file after (backups
// included). The first lines of the comment are the key: value options
// (agents, ci, git). A second run must change nothing.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			opts := map[string]string{}
			for _, line := range strings.Split(string(ar.Comment), "\n") {
				if k, v, ok := strings.Cut(line, ": "); ok && !strings.Contains(k, " ") {
					opts[k] = v
				}
			}
			for _, f := range ar.Files {
				if name, ok := strings.CutPrefix(f.Name, "in/"); ok {
					writeFile(t, filepath.Join(dir, name), f.Data)
				}
			}
			o := options(t, dir)
			o.Agents = strings.Split(opts["agents"], ",")
			o.NoCI = opts["ci"] != "true"
			if opts["git"] == "true" {
				o.HooksDir = filepath.Join(dir, ".git", "hooks")
			}
			plan, err := Make(o)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Apply(plan.Changes); err != nil {
				t.Fatal(err)
			}
			guidance, err := RenderGuidance(o)
			if err != nil {
				t.Fatal(err)
			}
			got := tree(t, dir)
			for name, data := range got {
				got[name] = strings.ReplaceAll(data, guidance, guidanceMark)
			}
			if *update {
				var keep []txtar.File
				for _, f := range ar.Files {
					if strings.HasPrefix(f.Name, "in/") {
						keep = append(keep, f)
					}
				}
				names := make([]string, 0, len(got))
				for n := range got {
					names = append(names, n)
				}
				slices.Sort(names)
				for _, n := range names {
					keep = append(keep, txtar.File{Name: "want/" + n, Data: []byte(got[n])})
				}
				ar.Files = keep
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
			} else {
				want := map[string]string{}
				for _, f := range ar.Files {
					if name, ok := strings.CutPrefix(f.Name, "want/"); ok {
						want[name] = string(f.Data)
					}
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("files after init (-want +got; go test -update to accept):\n%s", diff)
				}
			}
			// Idempotent: a second run plans nothing.
			again, err := Make(o)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range again.Changes {
				t.Errorf("second run changes %s:\n%s", c.Display, c.Diff())
			}
		})
	}
}

// options are the defaults the tests start from: the built-in policy, no
// pre-commit hook, no CI, an empty home.
func options(t *testing.T, dir string) Options {
	t.Helper()
	eff, err := policy.Load(policy.LoadOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(t.TempDir(), "home")
	return Options{Dir: dir, Home: home, Policy: eff, NoPreCommit: false, NoCI: true}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// tree reads every file under dir (slash paths), with " (mode)" appended
// to the name of executables.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, _ := d.Info()
		name := filepath.ToSlash(rel)
		if fi.Mode()&0o111 != 0 {
			name += " (executable)"
		}
		out[name] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestInvalidRefused: a file warden cannot merge into is an error naming
// the file (with line and column for a syntax error), and no file at all is
// written, not even the ones that could be merged.
func TestInvalidRefused(t *testing.T) {
	tests := []struct {
		name, file, content, want string
	}{
		{"missing comma", ".claude/settings.json", "{\n  \"a\": 1\n  \"hooks\": {}\n}\n", ".claude/settings.json:3:3: invalid JSON"},
		{"truncated", ".claude/settings.json", "{\n  \"hooks\": {\n", ".claude/settings.json:3:1: invalid JSON: unexpected end of JSON input"},
		{"trailing garbage", ".claude/settings.json", "{}\n}\n", ".claude/settings.json:2:1: invalid JSON"},
		{"not an object", ".claude/settings.json", "[1, 2]\n", ".claude/settings.json:1:1: the file must hold a JSON object"},
		{"hooks is a list", ".claude/settings.json", `{"hooks": []}`, `.claude/settings.json: "hooks" is a list, want an object`},
		{"event is an object", ".claude/settings.json", `{"hooks": {"PreToolUse": {}}}`, `.claude/settings.json: "hooks.PreToolUse" is an object, want a list`},
		{"group is a string", ".claude/settings.json", `{"hooks": {"Stop": ["x"]}}`, `.claude/settings.json: "hooks.Stop[0]" is a string, want an object`},
		{"half a marker block", "CLAUDE.md", "intro\n<!-- warden:begin -->\nold\n", "CLAUDE.md:2:1: <!-- warden:begin --> has no <!-- warden:end -->"},
		{"end marker alone", "CLAUDE.md", "<!-- warden:end -->\n", "CLAUDE.md: has <!-- warden:end --> without"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, tt.file), []byte(tt.content))
			before := tree(t, dir)
			o := options(t, dir)
			o.Agents = []string{Claude, Gemini}
			o.HooksDir = filepath.Join(dir, ".git", "hooks")
			o.NoCI = false
			o.PolicyFile = []byte("version: 1\n")
			_, err := Make(o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Errorf("error %T is not a *FileError", err)
			}
			if diff := cmp.Diff(before, tree(t, dir)); diff != "" {
				t.Errorf("files changed although init failed:\n%s", diff)
			}
		})
	}
}

// TestReplaceBlock: the block is appended once, then replaced in place,
// leaving the text around it as it was.
func TestReplaceBlock(t *testing.T) {
	block := BeginMarker + "\nnew\n" + EndMarker + "\n"
	tests := []struct{ name, in, want string }{
		{"empty", "", block},
		{"append", "# Title\n", "# Title\n\n" + block},
		{"append no newline", "# Title", "# Title\n\n" + block},
		{"replace", "a\n\n" + BeginMarker + "\nold\nlines\n" + EndMarker + "\nb\n", "a\n\n" + block + "b\n"},
		{"replace at end", "a\n" + BeginMarker + "\nold\n" + EndMarker + "\n", "a\n" + block},
		{"replace without trailing newline", BeginMarker + "old" + EndMarker, block},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := replaceBlock("f.md", []byte(tt.in), block)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			again, err := replaceBlock("f.md", got, block)
			if err != nil || !bytes.Equal(again, got) {
				t.Errorf("a second replace changed the file: %q (%v)", again, err)
			}
		})
	}
}

// TestGuidance: the block rendered from the policy carries the markers,
// the classification and instructions.extra.
func TestGuidance(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "warden.yaml"), []byte("version: 1\nproject:\n  classification: confidential\ninstructions:\n  extra: |\n    Use the db package for SQL.\n"))
	o := options(t, dir)
	g, err := RenderGuidance(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{BeginMarker + "\n", "\n" + EndMarker + "\n", "classified **confidential**", "only to these models: local/*", "Use the db package for SQL.", "Never hard-code secrets"} {
		if !strings.Contains(g, want) {
			t.Errorf("guidance lacks %q:\n%s", want, g)
		}
	}
}

func TestIsWardenCommand(t *testing.T) {
	tests := []struct {
		cmd, agent string
		want       bool
	}{
		{"warden hook claude", Claude, true},
		{"/usr/local/bin/warden hook claude", Claude, true},
		{"warden hook copilot --event postToolUse", Copilot, true},
		{"warden hook --timeout 5s", Claude, true},
		{"env X=1 warden hook gemini", Gemini, true},
		{"warden hook claude", Gemini, false},
		{"warden scan", Claude, false},
		{"mywarden hook claude", Claude, false},
		{"warden-hook claude", Claude, true},
		{"/home/dev/go/bin/warden-hook copilot --event postToolUse", Copilot, true},
		{"warden-hook gemini", Claude, false},
		{"warden-hooks claude", Claude, false},
		{"warden-hook", Claude, true},
		{"warden-hook-c claude", Claude, true},
		{"/opt/bin/warden-hook-c copilot --event postToolUse", Copilot, true},
		{"warden-hook-c gemini", Claude, false},
		{"warden-hook-cc claude", Claude, false},
		{"./audit.sh", Claude, false},
		{"", Claude, false},
	}
	for _, tt := range tests {
		if got := isWardenCommand(tt.cmd, tt.agent); got != tt.want {
			t.Errorf("isWardenCommand(%q, %q) = %v, want %v", tt.cmd, tt.agent, got, tt.want)
		}
	}
}

// TestThinClientHooks: with a thin client, every agent's hooks run
// `warden-hook <agent>`; a configuration that already calls either form is
// left alone, and Configured counts both.
func TestThinClientHooks(t *testing.T) {
	for _, a := range Agents {
		t.Run(a, func(t *testing.T) {
			dir := t.TempDir()
			o := Options{Dir: dir, Agents: []string{a}, Policy: policy.Builtin(), WardenCommand: "warden", HookCommand: "/opt/bin/warden-hook", NoPreCommit: true, NoCI: true}
			p, err := Make(o)
			if err != nil {
				t.Fatal(err)
			}
			var hooks []byte
			for _, c := range p.Changes {
				if strings.HasSuffix(c.Path, filepath.FromSlash(HookFile(a))) {
					hooks = c.New
				}
			}
			if !bytes.Contains(hooks, []byte(`"/opt/bin/warden-hook `+a)) || bytes.Contains(hooks, []byte("warden hook")) {
				t.Fatalf("hooks do not call the thin client:\n%s", hooks)
			}
			path := filepath.Join(dir, filepath.FromSlash(HookFile(a)))
			writeFile(t, path, hooks)
			have, missing, err := Configured(a, path)
			if err != nil || len(missing) > 0 || len(have) == 0 {
				t.Errorf("Configured: have %v, missing %v, err %v", have, missing, err)
			}
			// Re-running without the thin client changes nothing.
			o.HookCommand = ""
			p, err = Make(o)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range p.Changes {
				if c.Path == path {
					t.Errorf("second run rewrote %s:\n%s", path, c.New)
				}
			}
		})
	}
}

// TestUpgradeToThinClient: hooks init wrote before warden-hook was
// installed are switched to it on the next run; a handler the user changed
// and other hooks are left as they were; a further run changes nothing.
func TestUpgradeToThinClient(t *testing.T) {
	for _, a := range Agents {
		t.Run(a, func(t *testing.T) {
			dir := t.TempDir()
			o := Options{Dir: dir, Agents: []string{a}, Policy: policy.Builtin(), WardenCommand: "warden", NoPreCommit: true, NoCI: true}
			path := filepath.Join(dir, filepath.FromSlash(HookFile(a)))
			apply := func() []byte {
				t.Helper()
				p, err := Make(o)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range p.Changes {
					if c.Path == path {
						writeFile(t, path, c.New)
						return c.New
					}
				}
				return nil
			}
			before := apply()
			// The user tunes one handler; it must survive the upgrade.
			custom := bytes.Replace(before, []byte(`"warden hook `+a), []byte(`"warden hook `+a+` --timeout 2s`), 1)
			writeFile(t, path, custom)
			o.HookCommand = "warden-hook"
			after := apply()
			if after == nil {
				t.Fatalf("the upgrade changed nothing:\n%s", custom)
			}
			if !bytes.Contains(after, []byte(`"warden hook `+a+` --timeout 2s`)) {
				t.Errorf("the user's handler was rewritten:\n%s", after)
			}
			if n := bytes.Count(after, []byte(`"warden-hook `+a)); n == 0 || bytes.Count(after, []byte(`"warden hook `)) != 1 {
				t.Errorf("%d handlers upgraded, want all but the user's one:\n%s", n, after)
			}
			if again := apply(); again != nil {
				t.Errorf("a third run changed the file again:\n%s", again)
			}
			have, missing, err := Configured(a, path)
			if err != nil || len(missing) > 0 || len(have) == 0 {
				t.Errorf("Configured: have %v, missing %v, err %v", have, missing, err)
			}
			// The C client installed later: the Go client's handlers move
			// to it, the user's handler still stays.
			o.HookCommand = "warden-hook-c"
			final := apply()
			if final == nil || bytes.Contains(final, []byte(`"warden-hook `+a)) || !bytes.Contains(final, []byte(`"warden-hook-c `+a)) || !bytes.Contains(final, []byte(`"warden hook `+a+` --timeout 2s`)) {
				t.Errorf("not moved to warden-hook-c:\n%s", final)
			}
			if again := apply(); again != nil {
				t.Errorf("a further run changed the file again:\n%s", again)
			}
			cmds, err := WardenCommands(a, path)
			if err != nil || len(cmds) < 2 || !slices.Contains(cmds, "warden hook "+a+" --timeout 2s") || !strings.HasPrefix(cmds[0], "warden-hook-c "+a) && !strings.HasPrefix(cmds[1], "warden-hook-c "+a) {
				t.Errorf("WardenCommands = %q, %v", cmds, err)
			}
		})
	}
}

// TestStartingPolicy: the starting warden.yaml loads under the strict
// policy loader, and the classification follows the license.
func TestStartingPolicy(t *testing.T) {
	tests := []struct {
		name    string
		license string
		want    policy.Classification
	}{
		{"no license", "", policy.Internal},
		{"MIT", "Permission is hereby granted, free of charge, to any person obtaining a copy", policy.Public},
		{"proprietary", "Copyright Example Corp. All rights reserved.", policy.Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "go.mod"), []byte("module x\n"))
			if tt.license != "" {
				writeFile(t, filepath.Join(dir, "LICENSE"), []byte(tt.license))
			}
			data := StartingPolicy(`a "quoted": name`, Detect(dir, ""))
			writeFile(t, filepath.Join(dir, "warden.yaml"), data)
			eff, err := policy.Load(policy.LoadOptions{Dir: dir})
			if err != nil {
				t.Fatalf("starting policy does not load: %v\n%s", err, data)
			}
			if eff.Project.Classification != tt.want {
				t.Errorf("classification = %q, want %q", eff.Project.Classification, tt.want)
			}
			if eff.Project.Name != `a "quoted": name` {
				t.Errorf("name = %q", eff.Project.Name)
			}
			if !bytes.Contains(data, []byte("# Languages found: Go.")) {
				t.Errorf("languages not noted:\n%s", data)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	dir, home := t.TempDir(), t.TempDir()
	for _, p := range []string{filepath.Join(dir, ".cursor", "rules", "x.mdc"), filepath.Join(dir, "pyproject.toml"), filepath.Join(home, ".codex", "config.toml"), filepath.Join(dir, "Cargo.toml")} {
		writeFile(t, p, []byte("x"))
	}
	d := Detect(dir, home)
	want := Detection{
		Agents:    []DetectedAgent{{Name: Codex, Where: []string{"~/.codex"}}, {Name: Cursor, Where: []string{".cursor"}}},
		Languages: []string{"Python", "Rust"},
	}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	got, err := selectAgents(nil, d)
	if err != nil || !slices.Equal(got, []string{Codex, Cursor}) {
		t.Errorf("selectAgents = %v, %v", got, err)
	}
	got, _ = selectAgents(nil, Detection{})
	if !slices.Equal(got, Agents) {
		t.Errorf("with nothing detected, selectAgents = %v, want all", got)
	}
	if _, err := selectAgents([]string{"claude", "emacs"}, d); err == nil {
		t.Error("an unknown agent was accepted")
	}
}

// FuzzMergeHooks: any input either is refused with an error, or merges
// into a file that parses again, calls warden on every event, and does not
// change on a second merge.
func FuzzMergeHooks(f *testing.F) {
	for _, s := range []string{"", "{}", `{"hooks":{}}`, `{"hooks":{"PreToolUse":[{"matcher":"*","hooks":[{"type":"command","command":"warden hook claude"}]}]}}`,
		`{"a":[1,2,{"b":null}],"hooks":{"Stop":[]}}`, "{\n\t\"x\": \"\\u00e9<>&\"\n}", `[`, `{"hooks":[]}`, `{"version":1,"hooks":{"preToolUse":[]}}`} {
		f.Add(s, 0)
	}
	f.Fuzz(func(t *testing.T, in string, which int) {
		agent := Agents[uint(which)%uint(len(Agents))]
		sp := specs[agent]
		o := &Options{WardenCommand: "warden"}
		if which%2 == 1 {
			o.HookCommand = "warden-hook"
		}
		root, err := parseJSONObject("f.json", []byte(in))
		if err != nil {
			return
		}
		if _, err := mergeHooks("f.json", root, sp, o); err != nil {
			return
		}
		out := encodeJSON(root, detectIndent([]byte(in)))
		root2, err := parseJSONObject("f.json", out)
		if err != nil {
			t.Fatalf("merged output does not parse: %v\n%s", err, out)
		}
		changed, err := mergeHooks("f.json", root2, sp, o)
		if err != nil || changed {
			t.Fatalf("second merge: changed=%v err=%v\n%s", changed, err, out)
		}
	})
}

// FuzzReplaceBlock: any instruction file either is refused (half a marker
// pair) or gets exactly one warden block, and replacing again is stable.
func FuzzReplaceBlock(f *testing.F) {
	for _, s := range []string{"", "# T\n", BeginMarker + "\nx\n" + EndMarker + "\n", "a" + EndMarker, BeginMarker, "x\n" + BeginMarker + EndMarker + "y"} {
		f.Add(s)
	}
	block := BeginMarker + "\nnew\n" + EndMarker + "\n"
	f.Fuzz(func(t *testing.T, in string) {
		out, err := replaceBlock("f.md", []byte(in), block)
		if err != nil {
			return
		}
		if strings.Count(string(out), block) < 1 {
			t.Fatalf("no block in %q", out)
		}
		again, err := replaceBlock("f.md", out, block)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not stable: %q -> %q (%v)", out, again, err)
		}
	})
}
