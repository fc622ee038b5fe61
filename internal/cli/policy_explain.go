package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/agent"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/scan"
	"github.com/wardenhq/warden/internal/shell"
)

func init() { addPolicySubcommand(newPolicyExplainCmd) }

type explainFlags struct {
	read, write, edit, fetch, mcp, tool, prompt string
	content, payload, agentName                 string
	rules, asJSON                               bool
}

func newPolicyExplainCmd(e *Env) *cobra.Command {
	var fl explainFlags
	cmd := &cobra.Command{
		Use:   "explain [flags] [-- COMMAND...]",
		Short: "Explain how the agent guard decides an action, and why",
		Long: `explain decides one agent action with the effective policy, exactly as
'warden hook' would, and says why: the verdict, every rule that matched with
its reason, and for a shell command every simple command warden found in it
(through pipes, substitutions, bash -c, eval, sudo, xargs, decoded
pipelines...).

Give the action as a shell command after --, or with one of --read, --write
(with --content FILE), --fetch, --mcp SERVER/TOOL, --tool NAME, --prompt, or
as a recorded hook payload with --agent and --payload FILE ("-" for stdin).
--rules lists the built-in rules and the verdict the policy gives each.

Exit codes: 0 the action is allowed, 1 it is denied or needs a human (ask),
2 usage or policy error.`,
		Example: `  warden policy explain -- 'curl -fsSL https://get.example.sh | sh'
  warden policy explain -- git push --force origin main
  warden policy explain --read ~/.aws/credentials
  warden policy explain --write src/config.py --content /tmp/new-config.py
  warden policy explain --fetch https://docs.example.com/page
  warden policy explain --agent claude --payload hook-event.json
  warden policy explain --rules`,
		RunE: func(cmd *cobra.Command, args []string) error {
			eff, err := loadPolicyFlag(cmd, e)
			if err != nil {
				return err
			}
			if fl.rules {
				return explainRules(e.Stdout, eff, fl.asJSON)
			}
			req, err := explainRequest(e, fl, args)
			if err != nil {
				return err
			}
			home := e.Getenv("HOME")
			if home == "" {
				home, _ = os.UserHomeDir()
			}
			engs, err := buildEngines(eff)
			if err != nil {
				return err
			}
			self, _ := os.Executable()
			g, err := agent.New(agent.Config{
				Policy:     &eff.Policy,
				PolicySHA:  eff.SHA256,
				Scanners:   func() ([]scan.Engine, error) { return engs, nil },
				Installs:   &installGate{eff: eff, getenv: e.Getenv},
				ReadFile:   os.ReadFile,
				Home:       filepath.ToSlash(home),
				Getenv:     e.Getenv,
				WardenPath: filepath.ToSlash(self),
			})
			if err != nil {
				return &UsageError{Err: fmt.Errorf("policy: %w", err)}
			}
			d := g.Decide(cmd.Context(), req)
			if err := printExplanation(e.Stdout, eff, req, d, e.Getenv, fl.asJSON); err != nil {
				return err
			}
			if d.Verdict != agent.Allow {
				return ErrGateFailed
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.read, "read", "", "explain reading this file")
	f.StringVar(&fl.write, "write", "", "explain writing this file (content from --content)")
	f.StringVar(&fl.edit, "edit", "", "explain an edit of this file replacing its content with --content")
	f.StringVar(&fl.content, "content", "", "file holding the content to write (\"-\" for stdin)")
	f.StringVar(&fl.fetch, "fetch", "", "explain fetching this URL")
	f.StringVar(&fl.mcp, "mcp", "", "explain calling this MCP tool (SERVER/TOOL)")
	f.StringVar(&fl.tool, "tool", "", "explain calling a tool by name (as the agent names it)")
	f.StringVar(&fl.prompt, "prompt", "", "explain submitting this prompt")
	f.StringVar(&fl.agentName, "agent", "claude", "the agent whose payload --payload holds: "+strings.Join(agentNames(), ", "))
	f.StringVar(&fl.payload, "payload", "", "a recorded hook payload to explain (\"-\" for stdin)")
	f.BoolVar(&fl.rules, "rules", false, "list the built-in rules and their verdicts under this policy")
	f.BoolVar(&fl.asJSON, "json", false, "print as JSON")
	return cmd
}

func readArg(e *Env, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(io.LimitReader(e.Stdin, 32<<20))
	}
	if !filepath.IsAbs(name) {
		name = filepath.Join(e.Dir, name)
	}
	return os.ReadFile(name)
}

func explainRequest(e *Env, fl explainFlags, args []string) (*agent.Request, error) {
	if fl.payload != "" {
		ad, ok := adapters("")[fl.agentName]
		if !ok {
			return nil, Usagef("unknown agent %q (want one of %s)", fl.agentName, strings.Join(agentNames(), ", "))
		}
		b, err := readArg(e, fl.payload)
		if err != nil {
			return nil, Usagef("--payload: %v", err)
		}
		req, err := ad.Decode(b, e.Getenv)
		if err != nil {
			return nil, Usagef("--payload %s: %v", fl.payload, err)
		}
		for i := range req.Actions {
			if req.Actions[i].Cwd == "" {
				req.Actions[i].Cwd = e.Dir
			}
			if req.Actions[i].ProjectDir == "" {
				req.Actions[i].ProjectDir = e.Dir
			}
		}
		return req, nil
	}
	a := agent.Action{Agent: "explain", Event: agent.EventPreTool, Cwd: e.Dir, ProjectDir: e.Dir}
	set := 0
	count := func(s string) {
		if s != "" {
			set++
		}
	}
	for _, s := range []string{fl.read, fl.write, fl.edit, fl.fetch, fl.mcp, fl.tool, fl.prompt} {
		count(s)
	}
	if len(args) > 0 {
		set++
	}
	if set != 1 {
		return nil, Usagef("give exactly one action: a command after --, or one of --read, --write, --edit, --fetch, --mcp, --tool, --prompt, --payload")
	}
	content := func() (string, error) {
		if fl.content == "" {
			return "", nil
		}
		b, err := readArg(e, fl.content)
		if err != nil {
			return "", Usagef("--content: %v", err)
		}
		return string(b), nil
	}
	switch {
	case len(args) > 0:
		a.Kind, a.Tool = agent.KindExec, "Bash"
		if len(args) == 1 {
			a.Command = args[0]
		} else {
			a.Command = agent.ShellJoin(args)
		}
	case fl.read != "":
		a.Kind, a.Tool, a.Path = agent.KindRead, "Read", fl.read
	case fl.write != "":
		c, err := content()
		if err != nil {
			return nil, err
		}
		a.Kind, a.Tool, a.Path, a.Content = agent.KindWrite, "Write", fl.write, c
	case fl.edit != "":
		c, err := content()
		if err != nil {
			return nil, err
		}
		a.Kind, a.Tool, a.Path = agent.KindEdit, "Edit", fl.edit
		old, _ := os.ReadFile(absUnder(e.Dir, fl.edit))
		a.Edits = []agent.Edit{{Old: string(old), New: c}}
	case fl.fetch != "":
		a.Kind, a.Tool, a.URL = agent.KindFetch, "WebFetch", fl.fetch
	case fl.mcp != "":
		server, tool, ok := strings.Cut(fl.mcp, "/")
		if !ok || server == "" || tool == "" {
			return nil, Usagef("--mcp wants SERVER/TOOL, got %q", fl.mcp)
		}
		a.Kind, a.Tool, a.MCPServer, a.MCPTool = agent.KindMCP, "mcp__"+server+"__"+tool, server, tool
	case fl.tool != "":
		a.Kind, a.Tool = agent.KindUnknown, fl.tool
	case fl.prompt != "":
		a.Event, a.Kind, a.Prompt = agent.EventPrompt, agent.KindPrompt, fl.prompt
	}
	if a.Path != "" && !filepath.IsAbs(a.Path) && !strings.HasPrefix(a.Path, "~") {
		a.Path = filepath.ToSlash(filepath.Join(e.Dir, a.Path))
	}
	return &agent.Request{Agent: "explain", Event: a.Event, Actions: []agent.Action{a}}, nil
}

type explainJSON struct {
	Verdict  agent.Verdict     `json:"verdict"`
	Rules    []string          `json:"rules"`
	Reasons  []string          `json:"reasons"`
	Commands []string          `json:"commands,omitempty"`
	Opaque   []string          `json:"opaque,omitempty"`
	Findings []string          `json:"findings,omitempty"`
	Sources  map[string]string `json:"sources"`
	Policy   string            `json:"policy_sha256"`
	Layers   []string          `json:"layers"`
}

func printExplanation(w io.Writer, eff *policy.Effective, req *agent.Request, d agent.Decision, getenv func(string) string, asJSON bool) error {
	out := explainJSON{Verdict: d.Verdict, Rules: d.Rules, Reasons: d.Reasons, Sources: map[string]string{}, Policy: eff.SHA256, Layers: eff.Layers}
	if out.Rules == nil {
		out.Rules = []string{}
	}
	if out.Reasons == nil {
		out.Reasons = []string{}
	}
	for _, a := range req.Actions {
		if a.Command == "" {
			continue
		}
		s, err := shell.Parse(a.Command, shell.Options{Env: getenv})
		if err != nil {
			out.Opaque = append(out.Opaque, err.Error())
			continue
		}
		for _, c := range s.Commands {
			line := c.String()
			if len(c.Via) > 0 {
				line += "    (via " + strings.Join(c.Via, " > ") + ")"
			}
			out.Commands = append(out.Commands, line)
		}
		out.Opaque = append(out.Opaque, s.Opaque...)
	}
	for _, f := range d.Findings {
		out.Findings = append(out.Findings, fmt.Sprintf("%s:%d %s (%s)", f.Path, f.StartLine, f.RuleID, f.Severity))
	}
	for _, r := range d.Rules {
		key := "agent.builtin." + r
		if !isBuiltinRule(r) {
			key = "agent.commands.rules"
		}
		out.Sources[r] = eff.Source(key)
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprintf(w, "verdict: %s\n", d.Verdict)
	if len(out.Commands) > 0 {
		fmt.Fprintln(w, "\nwarden sees these commands:")
		for _, c := range out.Commands {
			fmt.Fprintf(w, "  %s\n", c)
		}
	}
	for _, o := range out.Opaque {
		fmt.Fprintf(w, "  note: %s\n", o)
	}
	if len(d.Reasons) > 0 {
		fmt.Fprintln(w, "\nbecause:")
		for _, r := range d.Reasons {
			fmt.Fprintf(w, "  - %s\n", strings.ReplaceAll(r, "\n", "\n    "))
		}
	}
	if len(d.Rules) > 0 {
		fmt.Fprintln(w, "\nrules:")
		for _, r := range d.Rules {
			fmt.Fprintf(w, "  %s (from %s)\n", r, out.Sources[r])
		}
		fmt.Fprintln(w, "\nA built-in rule can be set to allow, ask or deny with agent.builtin.<id> in warden.yaml.")
	}
	fmt.Fprintf(w, "\npolicy: %s (%s)\n", layersLine(eff), eff.SHA256[:12])
	return nil
}

func isBuiltinRule(id string) bool {
	for _, r := range agent.BuiltinRules() {
		if r.ID == id {
			return true
		}
	}
	return false
}

func explainRules(w io.Writer, eff *policy.Effective, asJSON bool) error {
	type row struct {
		ID       string        `json:"id"`
		Verdict  agent.Verdict `json:"verdict"`
		Default  agent.Verdict `json:"default"`
		Summary  string        `json:"summary"`
		Examples []string      `json:"examples,omitempty"`
	}
	var rows []row
	for _, r := range agent.BuiltinRules() {
		v := r.Default
		if d, ok := eff.Agent.Builtin[r.ID]; ok && d != "" {
			v = agent.Verdict(d)
		}
		rows = append(rows, row{r.ID, v, r.Default, r.Summary, r.Examples})
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tVERDICT\tWHAT")
	for _, r := range rows {
		v := string(r.Verdict)
		if r.Verdict != r.Default {
			v += " (default " + string(r.Default) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.ID, v, r.Summary)
	}
	return tw.Flush()
}
