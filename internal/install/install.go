// Package install is `warden init`: it detects the agents and languages of
// a repository and plans every file change that sets warden up (a starting
// policy, the agents' hook configurations, the instruction files, a
// pre-commit hook and a CI workflow). Planning reads files but writes
// nothing, so that a bad file refuses the whole run before anything is
// touched and --dry-run can show the exact diff; Apply then writes the
// plan, keeping a backup of every file it changes.
package install

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/wardenhq/warden/internal/policy"
)

// Options say what init sets up, and where.
type Options struct {
	// Dir is the repository root (absolute).
	Dir string
	// Home is the user's home directory, for detecting global configs.
	Home string
	// Agents limits the agents configured; nil = the detected ones, or all
	// of them when none is detected.
	Agents []string
	// Policy is the effective policy the instruction files are rendered
	// from (including PolicyFile when one is to be written).
	Policy *policy.Effective
	// PolicyFile is a starting warden.yaml to write; nil when the
	// repository already has a policy.
	PolicyFile []byte
	// HooksDir is the git hooks directory (core.hooksPath honoured);
	// "" when Dir is not a git repository.
	HooksDir string
	// Managed, when set, is the path of Claude Code's managed settings to
	// merge warden's hooks into (organization-wide).
	Managed string
	// WardenCommand is how the agents call warden (default "warden").
	WardenCommand string
	// HookCommand, when set, is the thin hook client (warden-hook) the
	// agents' hooks run instead of `WardenCommand hook`.
	HookCommand string
	// NoPreCommit / NoCI skip the pre-commit hook / the workflow.
	NoPreCommit bool
	NoCI        bool
	// Version is the warden version the CI workflow installs ("" = latest).
	Version string
}

// Change is one file init writes. Old is nil for a new file.
type Change struct {
	Path    string // absolute
	Display string // as shown to the user: relative to Dir when inside it
	Old     []byte
	New     []byte
	Mode    fs.FileMode
	What    string // one line: what the change does
}

// Plan is everything init would do.
type Plan struct {
	Detection Detection
	Agents    []string // the agents configured
	Changes   []Change // files that change, in a stable order
	Unchanged []string // files already as init would write them
	Notes     []string // what the user should know or do next
}

// Make plans the changes. It writes nothing. A file warden cannot safely
// merge into (invalid JSON, an unexpected shape, half a marker block) is an
// error naming the file and, where known, line and column.
func Make(o Options) (*Plan, error) {
	if o.WardenCommand == "" {
		o.WardenCommand = "warden"
	}
	p := &Plan{Detection: Detect(o.Dir, o.Home)}
	agents, err := selectAgents(o.Agents, p.Detection)
	if err != nil {
		return nil, err
	}
	p.Agents = agents
	if len(o.Agents) == 0 && len(p.Detection.Agents) == 0 {
		p.Notes = append(p.Notes, "no agent configuration found: configuring every agent warden supports (limit with --agent)")
	}
	var errs []error
	add := func(path, what string, old, new []byte, mode fs.FileMode) {
		p.add(o.Dir, path, what, old, new, mode)
	}

	if o.PolicyFile != nil {
		add(filepath.Join(o.Dir, policy.RepoFile), "starting policy", nil, o.PolicyFile, 0o644)
	}
	for _, a := range agents {
		if err := planHooks(p, o, specs[a], filepath.Join(o.Dir, filepath.FromSlash(specs[a].file))); err != nil {
			errs = append(errs, err)
		}
	}
	if o.Managed != "" {
		if err := planHooks(p, o, specs[Claude], o.Managed); err != nil {
			errs = append(errs, err)
		}
	}
	if err := planInstructions(p, o, agents); err != nil {
		errs = append(errs, err)
	}
	if !o.NoPreCommit {
		if o.HooksDir == "" {
			p.Notes = append(p.Notes, "not a git repository: no pre-commit hook installed")
		} else if err := planPreCommit(p, o); err != nil {
			errs = append(errs, err)
		}
	}
	if !o.NoCI {
		planWorkflow(p, o)
	}
	if slices.Contains(agents, Codex) {
		p.Notes = append(p.Notes, codexTrustNote(o.Dir))
	}
	if slices.Contains(agents, Gemini) {
		p.Notes = append(p.Notes, "Gemini CLI loads project settings (and their hooks) only in a trusted folder: trust it when asked, or set GEMINI_CLI_TRUST_WORKSPACE=true in CI.")
	}
	if slices.Contains(agents, Copilot) {
		p.Notes = append(p.Notes, "Copilot CLI reads .github/hooks/ only in a trusted folder (--trust-folder in -p mode).")
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Plan) add(dir, path, what string, old, new []byte, mode fs.FileMode) {
	disp := path
	if rel, err := filepath.Rel(dir, path); err == nil && !strings.HasPrefix(rel, "..") {
		disp = filepath.ToSlash(rel)
	}
	if old != nil && bytes.Equal(old, new) {
		p.Unchanged = append(p.Unchanged, disp)
		return
	}
	p.Changes = append(p.Changes, Change{Path: path, Display: disp, Old: old, New: new, Mode: mode, What: what})
}

func codexTrustNote(dir string) string {
	return `Codex runs hooks only when it trusts them, and skips an untrusted hook SILENTLY (the command then runs unchecked):
  1. trust the project: start ` + "`codex`" + ` in ` + dir + ` and accept the trust prompt
     (or add [projects."` + dir + `"] trust_level = "trusted" to ~/.codex/config.toml);
  2. approve warden's hooks when Codex lists them as new (it stores a trusted_hash per hook
     under [hooks.state] in ~/.codex/config.toml; re-approve after warden init changes them);
  3. check that they fire: run ` + "`warden init --check`" + ` after a Codex session.
  Automation that vets hooks itself can run ` + "`codex exec --dangerously-bypass-hook-trust`" + `.`
}

// readExisting reads a file that may not exist (nil, nil).
func readExisting(path string) ([]byte, fs.FileMode, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	if fi.IsDir() {
		return nil, 0, fmt.Errorf("%s is a directory", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	if data == nil {
		data = []byte{}
	}
	return data, fi.Mode().Perm(), nil
}

func planHooks(p *Plan, o Options, sp hookSpec, path string) error {
	old, mode, err := readExisting(path)
	if err != nil {
		return err
	}
	disp := path
	if rel, err := filepath.Rel(o.Dir, path); err == nil && !strings.HasPrefix(rel, "..") {
		disp = filepath.ToSlash(rel)
	}
	root, err := parseJSONObject(disp, old)
	if err != nil {
		return err
	}
	changed, err := mergeHooks(disp, root, sp, &o)
	if err != nil {
		return err
	}
	if !changed {
		p.add(o.Dir, path, "", old, old, mode)
		return nil
	}
	indent := "  "
	if old != nil {
		indent = detectIndent(old)
	}
	if mode == 0 {
		mode = 0o644
	}
	p.add(o.Dir, path, "warden's hooks for "+displayName(sp.agent), old, encodeJSON(root, indent), mode)
	return nil
}

func displayName(agent string) string {
	switch agent {
	case Claude:
		return "Claude Code"
	case Gemini:
		return "Gemini CLI"
	case Codex:
		return "Codex"
	case Copilot:
		return "Copilot CLI"
	case Cursor:
		return "Cursor"
	}
	return agent
}

// SelectAgents is the agents init configures: those asked for (names or
// "all"), else the detected ones, else all of them.
func SelectAgents(asked []string, d Detection) ([]string, error) { return selectAgents(asked, d) }

func selectAgents(asked []string, d Detection) ([]string, error) {
	if len(asked) > 0 {
		var out []string
		for _, a := range asked {
			a = strings.ToLower(strings.TrimSpace(a))
			if a == "all" {
				return slices.Clone(Agents), nil
			}
			if _, ok := specs[a]; !ok {
				return nil, fmt.Errorf("unknown agent %q (want %s or all)", a, strings.Join(Agents, ", "))
			}
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
		// Keep the canonical order.
		slices.SortFunc(out, func(x, y string) int { return slices.Index(Agents, x) - slices.Index(Agents, y) })
		return out, nil
	}
	if len(d.Agents) == 0 {
		return slices.Clone(Agents), nil
	}
	var out []string
	for _, a := range d.Agents {
		out = append(out, a.Name)
	}
	return out, nil
}

// Diff is the unified diff of the change.
func (c Change) Diff() []byte {
	oldName := "a/" + c.Display
	if c.Old == nil {
		oldName = "/dev/null"
	}
	return diff.Diff(oldName, c.Old, "b/"+c.Display, c.New)
}

// BackupSuffix is appended to a file's name for the copy kept before init
// changes it.
const BackupSuffix = ".warden-bak"

// Apply writes the plan: each changed file is first copied to
// <file>.warden-bak, then replaced atomically (a temporary file renamed
// over it). It returns the backups it wrote.
func Apply(changes []Change) (backups []string, err error) {
	for _, c := range changes {
		if err := os.MkdirAll(filepath.Dir(c.Path), 0o755); err != nil {
			return backups, err
		}
		if c.Old != nil {
			b := c.Path + BackupSuffix
			if err := writeAtomic(b, c.Old, c.Mode); err != nil {
				return backups, fmt.Errorf("backing up %s: %w", c.Display, err)
			}
			backups = append(backups, b)
		}
		if err := writeAtomic(c.Path, c.New, c.Mode); err != nil {
			return backups, fmt.Errorf("writing %s: %w", c.Display, err)
		}
	}
	return backups, nil
}

func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
