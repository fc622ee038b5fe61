// Package audit is warden's tamper-evident audit trail: an append-only log of
// JSON lines, each event carrying its sequence number and the SHA-256 of the
// previous event, written safely by many processes at once, with periodic
// checkpoints (tree size and Merkle root) signed with an ed25519 key in the
// signed-note format, rotation and retention, and a verifier that names the
// first event that was edited, deleted, inserted, reordered or truncated.
//
// The schema of an event is documented in docs/AUDIT.md. Nothing in an event
// may be a secret or source code: rule ids, paths, hashes and redacted
// excerpts only. Callers are responsible for redacting what they pass in
// (use redact.Mask); Append rejects oversized events rather than truncate
// them silently.
package audit

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/finding"
)

// SchemaVersion is the version of the event format written by this build.
// It is the "v" field of every event. A reader refuses versions it does not
// know.
const SchemaVersion = 1

// MaxEventSize is the largest event line, in bytes, that Append writes.
// Keeping events bounded keeps appends atomic and the tail cheap to find.
const MaxEventSize = 64 << 10

// Kind says what an event records.
type Kind string

const (
	// KindAgentAction is an agent guard decision on one agent action.
	KindAgentAction Kind = "agent.action"
	// KindScanGate is one run of the scan gate (warden scan, pre-commit, CI).
	KindScanGate Kind = "scan.gate"
	// KindCheckpoint carries a signed checkpoint of the events before it.
	KindCheckpoint Kind = "checkpoint"
	// KindRotation opens a new segment after the previous one was closed.
	KindRotation Kind = "rotation"
	// KindRetention records segments removed by the retention policy.
	KindRetention Kind = "retention"
	// KindRepair records a torn last line that was cut off before appending.
	KindRepair Kind = "repair"
	// KindGateway is a model gateway decision (later phase).
	KindGateway Kind = "gateway.request"
	// KindPolicy records a policy change or check.
	KindPolicy Kind = "policy"
)

// Decisions, as recorded. Agent actions use allow, ask and deny; scan gates
// use pass and fail.
const (
	DecisionAllow = "allow"
	DecisionAsk   = "ask"
	DecisionDeny  = "deny"
	DecisionPass  = "pass"
	DecisionFail  = "fail"
)

// TagUnauthorizedAccess marks an agent action that tried to reach something
// it is not authorized for (a secret file, a host, an MCP server or tool
// outside the allowlist). Denied events with this tag count as
// "unauthorized-access attempts blocked" in the KPI report.
const TagUnauthorizedAccess = "unauthorized-access"

// Event is one line of the audit log. Fields are written in this order; the
// SHA-256 of the whole line (without its newline) is the next event's Prev.
//
// Seq, Prev and V are set by Append; Time is set by Append when zero.
type Event struct {
	V    int       `json:"v"`
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	// Prev is the hex SHA-256 of the previous event's line; empty for the
	// first event of a log.
	Prev string `json:"prev"`
	Kind Kind   `json:"kind"`

	Actor Actor `json:"actor,omitzero"`
	Repo  Repo  `json:"repo,omitzero"`

	// Summary says in one line what was attempted, e.g. "exec: rm -rf /",
	// "write src/db.go". Never a secret or a file's content.
	Summary string `json:"summary,omitempty"`
	// Action describes an agent action (KindAgentAction).
	Action *Action `json:"action,omitempty"`
	// Scan describes a gate run (KindScanGate).
	Scan *Scan `json:"scan,omitempty"`
	// Rules are the ids of the rules that decided or matched.
	Rules []string `json:"rules,omitempty"`
	// Paths the action or gate touched, slash-separated, repository-relative
	// where possible.
	Paths []string `json:"paths,omitempty"`
	// Hashes of content involved (e.g. "sha256:..." of a written file), so
	// that content can be matched later without being stored.
	Hashes []string `json:"hashes,omitempty"`
	// Excerpts are short, already redacted fragments (use redact.Mask for
	// any secret). At most MaxExcerpt bytes each.
	Excerpts []string `json:"excerpts,omitempty"`
	// Findings are what a gate or a guarded write found.
	Findings []FindingRef `json:"findings,omitempty"`
	// Decision: allow, ask, deny (agent actions); pass, fail (gates).
	Decision string `json:"decision,omitempty"`
	// Reasons explain the decision, one per rule that mattered.
	Reasons []string `json:"reasons,omitempty"`
	// Tags classify the event for reports, e.g. TagUnauthorizedAccess.
	Tags []string `json:"tags,omitempty"`
	// PolicySHA256 identifies the effective policy in force.
	PolicySHA256 string `json:"policy_sha256,omitempty"`

	// Checkpoint is the signed note (KindCheckpoint).
	Checkpoint string `json:"checkpoint,omitempty"`
	// Segment describes a closed or removed segment (KindRotation,
	// KindRetention, KindRepair).
	Segment *Segment `json:"segment,omitempty"`
	// Removed lists segments deleted by retention (KindRetention).
	Removed []Segment `json:"removed,omitempty"`
	// Tree is the Merkle tree state before this event (KindRotation): the
	// hashes of its maximal complete subtrees, largest first, base64. It lets
	// a verifier check checkpoints after older segments were removed.
	Tree []string `json:"tree,omitempty"`
}

// MaxExcerpt is the longest excerpt Append accepts, in bytes.
const MaxExcerpt = 512

// Actor is who acted.
type Actor struct {
	// Agent is the AI agent (claude, cursor, gemini, codex, copilot), empty
	// for a human or CI.
	Agent   string `json:"agent,omitempty"`
	Session string `json:"session,omitempty"`
	User    string `json:"user,omitempty"`
	Host    string `json:"host,omitempty"`
}

// Repo is where it happened.
type Repo struct {
	// Name identifies the repository (e.g. its remote URL without
	// credentials, or its directory name).
	Name   string `json:"name,omitempty"`
	Commit string `json:"commit,omitempty"`
	// Ref is the branch or tag checked out, e.g. "refs/tags/v1.2.0".
	Ref string `json:"ref,omitempty"`
	// Release is the release (tag) name when the event belongs to one, e.g.
	// "v1.2.0"; reports group findings per release by it.
	Release string `json:"release,omitempty"`
}

// Action is an agent action as the guard saw it.
type Action struct {
	// Kind: exec, read, write, edit, fetch, mcp, prompt, install.
	Kind string `json:"kind"`
	// Tool is the agent's tool name (Bash, Write, mcp__github__...).
	Tool string `json:"tool,omitempty"`
	// Event is the hook event (PreToolUse, beforeShellExecution...).
	Event string `json:"event,omitempty"`
	// Host for fetches, server for MCP calls.
	Host string `json:"host,omitempty"`
}

// Scan describes one gate run.
type Scan struct {
	// Scope: full (the whole tree), diff, staged, stdin, history. Only full
	// scans prove that a finding is gone.
	Scope   string   `json:"scope"`
	Engines []string `json:"engines,omitempty"`
	Files   int      `json:"files,omitempty"`
	// DurationMS is how long the gate ran.
	DurationMS int64 `json:"duration_ms,omitempty"`
}

// Scan scopes.
const (
	ScopeFull   = "full"
	ScopeDiff   = "diff"
	ScopeStaged = "staged"
)

// FindingRef is what the log keeps of a finding: enough to count, group and
// follow it over time, never its secret or source.
type FindingRef struct {
	Rule        string           `json:"rule"`
	Engine      string           `json:"engine,omitempty"`
	Severity    finding.Severity `json:"severity"`
	Fingerprint string           `json:"fingerprint"`
	Path        string           `json:"path,omitempty"`
	Line        int              `json:"line,omitempty"`
	// Package, Version, Advisory and Published describe a vulnerable
	// dependency (engine deps).
	Package   string    `json:"package,omitempty"`
	Version   string    `json:"version,omitempty"`
	Advisory  string    `json:"advisory,omitempty"`
	Published time.Time `json:"published,omitzero"`
	// Suppressed is true when an exception or baseline accepted it.
	Suppressed bool `json:"suppressed,omitempty"`
}

// Segment names a log file and the events it held.
type Segment struct {
	Name     string `json:"name"`
	FirstSeq uint64 `json:"first_seq,omitempty"`
	LastSeq  uint64 `json:"last_seq,omitempty"`
	// LastHash is the hex SHA-256 of its last event line.
	LastHash string `json:"last_hash,omitempty"`
	// Bytes and SHA256 describe the file (or, for a repair, the torn bytes
	// that were cut off).
	Bytes  int64  `json:"bytes,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// Refs converts an engine's findings into FindingRefs. Dependency metadata
// is read from the Metadata keys package, version, advisory (or id) and
// published (RFC 3339 or YYYY-MM-DD).
func Refs(fs []finding.Finding) []FindingRef {
	out := make([]FindingRef, 0, len(fs))
	for _, f := range fs {
		r := FindingRef{
			Rule: f.RuleID, Engine: f.Engine, Severity: f.Severity,
			Fingerprint: f.Fingerprint, Path: f.Path, Line: f.StartLine,
		}
		if m := f.Metadata; m != nil {
			r.Package, r.Version = m["package"], m["version"]
			r.Advisory = m["advisory"]
			if r.Advisory == "" {
				r.Advisory = m["id"]
			}
			if p := m["published"]; p != "" {
				if t, err := time.Parse(time.RFC3339, p); err == nil {
					r.Published = t.UTC()
				} else if t, err := time.Parse(time.DateOnly, p); err == nil {
					r.Published = t
				}
			}
		}
		out = append(out, r)
	}
	return out
}

// validate checks what a caller passed to Append.
func (e *Event) validate() error {
	if e.Kind == "" {
		return fmt.Errorf("audit event has no kind")
	}
	for i, r := range e.Kind {
		if !(r >= 'a' && r <= 'z' || i > 0 && (r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')) {
			return fmt.Errorf("audit event kind %q is not a plain name (lower-case letters, digits, '.', '_', '-')", e.Kind)
		}
	}
	for i, x := range e.Excerpts {
		if len(x) > MaxExcerpt {
			return fmt.Errorf("audit event excerpt %d is %d bytes, more than %d: redact and shorten it", i, len(x), MaxExcerpt)
		}
	}
	for i, f := range e.Findings {
		if !f.Severity.Valid() {
			return fmt.Errorf("audit event finding %d (%s) has no valid severity", i, f.Rule)
		}
	}
	return nil
}

// marshal renders the event as one line without its newline.
func (e *Event) marshal() ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encoding audit event: %w", err)
	}
	if len(b)+1 > MaxEventSize {
		return nil, fmt.Errorf("audit event of kind %s is %d bytes, more than the %d allowed: record paths, hashes and rule ids, not content", e.Kind, len(b)+1, MaxEventSize)
	}
	return b, nil
}

// ParseEvent decodes one event line (without its newline). It rejects
// unknown fields and schema versions so that a reader never misreads an
// event written by a newer warden.
func ParseEvent(line []byte) (Event, error) {
	var e Event
	dec := json.NewDecoder(strings.NewReader(string(line)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Event{}, fmt.Errorf("not a valid audit event: %v", err)
	}
	if dec.More() {
		return Event{}, fmt.Errorf("not a valid audit event: trailing data")
	}
	if e.V != SchemaVersion {
		return Event{}, fmt.Errorf("audit event schema version %d is not supported (this warden reads %d)", e.V, SchemaVersion)
	}
	if e.Seq == 0 {
		return Event{}, fmt.Errorf("audit event has no sequence number")
	}
	if err := e.validate(); err != nil {
		return Event{}, fmt.Errorf("audit event %d: %v", e.Seq, err)
	}
	return e, nil
}
