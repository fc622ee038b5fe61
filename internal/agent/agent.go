// Package agent is the agent guard's core: the neutral model every vendor
// hook payload is decoded into (Request, Action), the Decision it gets, and
// the Guard that decides with the policy, the shell parser and the content
// scanners. Vendor dialects live in the sub-packages (claude, cursor,
// gemini, codex, copilot); they decode payloads into Requests and encode
// Decisions in the form each client honours.
//
// The core runs nothing and opens no network connection: what it needs from
// the outside world (reading a file, the session store, the audit recorder,
// the dependency gate) it gets through the interfaces below.
package agent

import (
	"context"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/finding"
)

// Event is the point in the agent's loop a hook fires at.
type Event string

const (
	EventPreTool      Event = "pre_tool"      // before a tool runs: may be denied
	EventPostTool     Event = "post_tool"     // after a tool ran: its result is checked
	EventPrompt       Event = "prompt"        // the user submitted a prompt
	EventSessionStart Event = "session_start" // a session starts or resumes
	EventSessionEnd   Event = "session_end"   // a session ends
	EventStop         Event = "stop"          // the agent is about to stop
	EventOther        Event = "other"         // anything warden has no decision for
)

// Kind is what an action does.
type Kind string

const (
	KindExec   Kind = "exec"   // run a shell command
	KindRead   Kind = "read"   // read a file
	KindWrite  Kind = "write"  // create or overwrite a file with Content
	KindEdit   Kind = "edit"   // change a file with Edits
	KindFetch  Kind = "fetch"  // fetch a URL
	KindSearch Kind = "search" // web search, or search/list files (Path may be set)
	KindMCP    Kind = "mcp"    // call an MCP server's tool
	KindTask   Kind = "task"   // start a subagent
	KindPrompt Kind = "prompt" // a user prompt
	KindTool   Kind = "tool"   // a known tool with no side effect worth judging (todo lists, plans)
	// KindUnknown is a tool warden does not know; it is denied unless the
	// policy allows it by name.
	KindUnknown Kind = "unknown"
)

// Edit replaces Old with New in a file (every occurrence when All).
type Edit struct {
	Old string
	New string
	All bool
}

// Action is one thing an agent is about to do or has done.
type Action struct {
	Agent   string // claude, cursor, gemini, codex, copilot
	Session string
	Event   Event
	Kind    Kind
	// Tool is the vendor's tool name as received ("Bash", "run_shell_command").
	Tool string
	// Cwd is where the agent runs; ProjectDir the repository root.
	Cwd        string
	ProjectDir string

	Command string // exec
	Path    string // read, write, edit, search: absolute or relative to Cwd
	Content string // write: the whole new content
	Edits   []Edit // edit
	// Delete is set when a patch deletes Path.
	Delete bool
	URL    string // fetch
	Query  string // search
	Prompt string // prompt, task
	// MCPServer and MCPTool name an MCP call; Arguments is its input as JSON.
	MCPServer string
	MCPTool   string
	Arguments string
	// Result is what a tool returned (post-tool events).
	Result string
	// StopHookActive is set when the agent is already continuing because a
	// stop hook blocked it once: warden then lets it stop to avoid a loop.
	StopHookActive bool
}

// Target is the main object of the action, for messages and audit: a
// path, a URL, a tool; never a command's full text (it may hold a secret).
func (a Action) Target() string {
	switch {
	case a.Path != "":
		return a.Path
	case a.URL != "":
		return a.URL
	case a.MCPServer != "":
		return a.MCPServer + "/" + a.MCPTool
	}
	return a.Tool
}

// Request is one hook invocation: an event with the actions it carries
// (usually one; a patch may touch several files).
type Request struct {
	Agent string
	Event Event
	// RawEvent is the vendor's event name, echoed back where the dialect
	// requires it ("PreToolUse").
	RawEvent string
	Session  string
	Actions  []Action
	// Extra holds dialect details an encoder needs (e.g. Copilot's casing).
	Extra map[string]string
}

// Verdict is the outcome of a decision.
type Verdict string

const (
	Allow Verdict = "allow"
	Ask   Verdict = "ask"
	Deny  Verdict = "deny"
)

func (v Verdict) rank() int {
	switch v {
	case Deny:
		return 2
	case Ask:
		return 1
	}
	return 0
}

// Decision is the answer to a Request.
type Decision struct {
	Verdict Verdict
	// Rules are the ids of the rules that produced the verdict, sorted.
	Rules []string
	// Reasons say why, one line each, in words the agent can act on. They
	// never contain a secret value.
	Reasons []string
	// Context is text for the agent's context (session security context,
	// a prompt-injection warning, findings to fix before stopping).
	Context string
	// Findings from scanning written content or the session's changes.
	Findings []finding.Finding
}

// Reason joins the reasons into one message.
func (d Decision) Reason() string {
	if len(d.Reasons) == 0 {
		switch d.Verdict {
		case Deny:
			return "denied by warden policy"
		case Ask:
			return "warden policy asks a human to approve this action"
		}
		return ""
	}
	if len(d.Reasons) == 1 {
		return "warden: " + d.Reasons[0]
	}
	return "warden: " + strings.Join(d.Reasons, "; ")
}

// Merge combines two decisions: the stricter verdict wins and reasons,
// rules, context and findings add up.
func Merge(a, b Decision) Decision {
	out := a
	if b.Verdict.rank() > a.Verdict.rank() {
		out.Verdict = b.Verdict
	}
	if out.Verdict == "" {
		out.Verdict = Allow
	}
	out.Rules = appendUnique(a.Rules, b.Rules...)
	out.Reasons = appendUnique(a.Reasons, b.Reasons...)
	out.Findings = append(append([]finding.Finding(nil), a.Findings...), b.Findings...)
	switch {
	case a.Context == "":
		out.Context = b.Context
	case b.Context != "" && b.Context != a.Context:
		out.Context = a.Context + "\n\n" + b.Context
	}
	return out
}

func appendUnique(list []string, more ...string) []string {
	out := append([]string(nil), list...)
	for _, m := range more {
		found := false
		for _, x := range out {
			if x == m {
				found = true
				break
			}
		}
		if !found {
			out = append(out, m)
		}
	}
	return out
}

// InstallChecker runs the dependency gate on a package install command
// before anything is fetched.
type InstallChecker interface {
	// CheckInstall reports whether argv installs packages and, if so, the
	// findings about them (typosquats, malicious or vulnerable versions,
	// packages that do not exist).
	CheckInstall(ctx context.Context, argv []string) (install bool, findings []finding.Finding, err error)
}

// AuditEvent is what the guard records for every decision. It carries no
// secret and no file content: ids, kinds, targets and hashes only.
type AuditEvent struct {
	Time      time.Time `json:"time"`
	Agent     string    `json:"agent"`
	Session   string    `json:"session,omitempty"`
	Event     Event     `json:"event"`
	HookEvent string    `json:"hook_event,omitempty"` // the vendor's name: PreToolUse, BeforeTool...
	Kind      Kind      `json:"kind,omitempty"`
	Tool      string    `json:"tool,omitempty"`
	Target    string    `json:"target,omitempty"`
	Host      string    `json:"host,omitempty"` // fetches: the URL's host; MCP: the server
	Programs  []string  `json:"programs,omitempty"`
	CommandID string    `json:"command_sha256,omitempty"`
	Verdict   Verdict   `json:"verdict"`
	Rules     []string  `json:"rules,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	// Findings carry rule, path, line and fingerprint; snippets are dropped.
	Findings  []finding.Finding `json:"findings,omitempty"`
	PolicySHA string            `json:"policy_sha256,omitempty"`
}

// Recorder receives every decision (the audit log).
type Recorder interface {
	Record(ctx context.Context, ev AuditEvent) error
}

// SessionState is what warden remembers about a session between hook
// processes.
type SessionState struct {
	// Tainted is set once a tool result carried prompt injection.
	Tainted     bool
	TaintReason string
	// Changed lists files the agent wrote or edited (absolute paths).
	Changed []string
}

// Store keeps SessionState across hook processes. Implementations must be
// safe for several processes appending at once.
type Store interface {
	Load(ctx context.Context, agent, session string) (SessionState, error)
	Taint(ctx context.Context, agent, session, reason string) error
	AddChanged(ctx context.Context, agent, session string, paths ...string) error
	End(ctx context.Context, agent, session string) error
}
