// Package policy is warden's security context file: its schema, strict
// loading with positions in errors, layering (built-in < organization <
// repository, with organization locks), and the effective Policy that every
// engine, gate and the agent guard read.
//
// This file is the schema: the one place that names every key. docs/POLICY.md
// documents each of them and a test keeps the two in step.
package policy

import "github.com/wardenhq/warden/internal/finding"

// SchemaVersion is the policy file format this build reads.
const SchemaVersion = 1

// Policy is a whole policy file, or the effective merged policy.
type Policy struct {
	Version      int          `yaml:"version"`
	Project      Project      `yaml:"project"`
	Models       Models       `yaml:"models"`
	Agent        Agent        `yaml:"agent"`
	Gates        Gates        `yaml:"gates"`
	Rules        Rules        `yaml:"rules"`
	Dependencies Dependencies `yaml:"dependencies"`
	Exceptions   []Exception  `yaml:"exceptions"`
	Instructions Instructions `yaml:"instructions"`
	Audit        Audit        `yaml:"audit"`
	// Locks (organization file only) lists dotted keys a repository may
	// tighten but never loosen, e.g. "gates.fail_on", "models", "agent.commands".
	Locks []string `yaml:"locks"`
}

// Classification is how sensitive a repository's code is.
type Classification string

const (
	Public       Classification = "public"
	Internal     Classification = "internal"
	Confidential Classification = "confidential"
	Restricted   Classification = "restricted"
)

type Project struct {
	Name           string         `yaml:"name"`
	Classification Classification `yaml:"classification"`
}

// Models says which models may see code of each classification.
type Models struct {
	// Allow maps a classification to the model patterns ("provider/model",
	// globs allowed: "anthropic/claude-*") that may see code of it.
	Allow map[Classification][]string `yaml:"allow"`
	// RequireAttestation lists classifications whose code may only go to
	// upstreams whose confidential-computing attestation verifies.
	RequireAttestation []Classification `yaml:"require_attestation"`
	// Redact: replace secrets in prompts with placeholders ("redact") or
	// refuse the request ("block").
	Secrets string `yaml:"secrets"`
	// Attestation configures what confidential upstreams must prove.
	Attestation Attestation `yaml:"attestation"`
}

// Attestation is what internal/attest checks evidence against.
type Attestation struct {
	// Measurements maps an evidence kind ("sev-snp", "tdx", "nvidia-eat")
	// to the hex launch measurements allowed for it (SNP MEASUREMENT, TDX
	// MRTD, the GPU token's measurement claim).
	Measurements map[string][]string `yaml:"measurements"`
	// JWKSURL is where the GPU attestation token's signing keys are
	// published (NVIDIA NRAS).
	JWKSURL string `yaml:"jwks_url"`
	// Issuer and Audience are the token's expected iss and aud.
	Issuer   string `yaml:"issuer"`
	Audience string `yaml:"audience"`
	// MaxAge is how long a verified attestation is trusted: the gateway
	// re-attests an upstream before using it once this much time has passed
	// since its last verification (and bounds a GPU token's age).
	MaxAge Duration `yaml:"max_age"`
	// SEVSNPMinimumTCB is the lowest SEV-SNP TCB accepted, component by
	// component (current, committed and launch TCB alike).
	SEVSNPMinimumTCB SNPTCB `yaml:"sev_snp_minimum_tcb"`
	// TDXMinimumTeeTCBSVN is the hex of the lowest TDX TEE_TCB_SVN (16
	// bytes) accepted, byte by byte; empty: not checked beyond Intel's TCB
	// info.
	TDXMinimumTeeTCBSVN string `yaml:"tdx_minimum_tee_tcb_svn"`
	// TDXRTMRs pins TDX runtime measurement registers: "0" to "3" map to
	// the hex values allowed for RTMR0..RTMR3 (an RTMR not listed is not
	// checked).
	TDXRTMRs map[string][]string `yaml:"tdx_rtmrs"`
}

// SNPTCB is an AMD SEV-SNP TCB version (each component 0-255).
type SNPTCB struct {
	Bootloader int `yaml:"bootloader"`
	TEE        int `yaml:"tee"`
	SNP        int `yaml:"snp"`
	Microcode  int `yaml:"microcode"`
}

// Decision is what a rule decides for an agent action.
type Decision string

const (
	Allow Decision = "allow"
	Ask   Decision = "ask"
	Deny  Decision = "deny"
)

// Agent governs what an AI agent may do.
type Agent struct {
	Files    AgentFiles    `yaml:"files"`
	Commands AgentCommands `yaml:"commands"`
	Network  AgentNetwork  `yaml:"network"`
	Packages AgentPackages `yaml:"packages"`
	MCP      AgentMCP      `yaml:"mcp"`
	// Builtin adjusts built-in guard rules by id: allow (off), ask or deny.
	Builtin map[string]Decision `yaml:"builtin"`
	// Unparseable is the decision for a shell command warden cannot parse.
	Unparseable Decision `yaml:"unparseable"`
	// WriteFailOn: a write or edit whose resulting content has a finding at
	// or above this severity is denied.
	WriteFailOn finding.Severity `yaml:"write_fail_on"`
	// Injection: what to do when a tool result carries prompt injection
	// ("warn" tells the agent; "ask" also taints the session).
	Injection string `yaml:"injection"`
	// ScanOnStop runs the gate on what the session changed before it stops.
	ScanOnStop bool `yaml:"scan_on_stop"`
	// SessionContext is injected at session start (default: rendered from
	// the policy).
	SessionContext bool `yaml:"session_context"`
}

type AgentFiles struct {
	// ReadDeny: globs of secret-bearing files the agent may not read.
	ReadDeny []string `yaml:"read_deny"`
	// ReadAllow: exceptions to ReadDeny.
	ReadAllow []string `yaml:"read_allow"`
	// WriteAllow: globs (relative to the repository) the agent may write.
	WriteAllow []string `yaml:"write_allow"`
	// WriteDeny: globs the agent may never write, even inside WriteAllow.
	WriteDeny []string `yaml:"write_deny"`
}

// CommandRule matches shell commands after parsing.
type CommandRule struct {
	ID string `yaml:"id"`
	// Command: the program name (basename), e.g. "terraform".
	Command string `yaml:"command"`
	// Args: a regular expression matched against the arguments joined by
	// single spaces.
	Args     string   `yaml:"args"`
	Decision Decision `yaml:"decision"`
	Reason   string   `yaml:"reason"`
}

type AgentCommands struct {
	Rules []CommandRule `yaml:"rules"`
	// ProtectedBranches may not be force-pushed.
	ProtectedBranches []string `yaml:"protected_branches"`
}

type AgentNetwork struct {
	// AllowDomains: hosts the agent may fetch from or upload to ("*.example.com").
	AllowDomains []string `yaml:"allow_domains"`
	// Default decision for a host not allowed.
	Default Decision `yaml:"default"`
}

type AgentPackages struct {
	// Install: "check" runs the dependency gate on installs; ask or deny.
	Install string `yaml:"install"`
}

type AgentMCP struct {
	AllowServers []string `yaml:"allow_servers"`
	DenyTools    []string `yaml:"deny_tools"`
	Default      Decision `yaml:"default"`
}

// Gates decide what blocks a scan.
type Gates struct {
	// FailOn: findings at or above this severity fail the gate.
	FailOn finding.Severity `yaml:"fail_on"`
	// Engines enabled: secrets, sast, deps, config, custom.
	Engines []string `yaml:"engines"`
	// MaxDBAge: fail (or warn) when the vulnerability database is older, e.g. "7d".
	MaxDBAge Duration `yaml:"max_db_age"`
	// DBAgeAction: "warn" or "fail".
	DBAgeAction string `yaml:"db_age_action"`
	// MaxFileSize: larger files are skipped and counted, e.g. "1MiB".
	MaxFileSize ByteSize `yaml:"max_file_size"`
	// Exclude: globs of paths never scanned.
	Exclude []string `yaml:"exclude"`
}

// Rules are the organization's own checks.
type Rules struct {
	// Patterns: custom regular-expression rules (the "custom" engine).
	Patterns []PatternRule `yaml:"patterns"`
	// Secrets: extra secret detectors for the secrets engine.
	Secrets []SecretRule `yaml:"secrets"`
	// Actions: extra agent action conditions.
	Actions []ActionRule `yaml:"actions"`
}

type PatternRule struct {
	ID       string           `yaml:"id"`
	Regex    string           `yaml:"regex"`
	Severity finding.Severity `yaml:"severity"`
	Message  string           `yaml:"message"`
	CWE      string           `yaml:"cwe"`
	// Paths: globs the rule applies to (default: all files).
	Paths []string `yaml:"paths"`
}

type SecretRule struct {
	ID       string           `yaml:"id"`
	Regex    string           `yaml:"regex"`
	Keywords []string         `yaml:"keywords"`
	Severity finding.Severity `yaml:"severity"`
	Message  string           `yaml:"message"`
	// Entropy: minimum Shannon entropy (bits per char) of the match.
	Entropy float64 `yaml:"entropy"`
}

// ActionRule adds a condition on agent actions.
type ActionRule struct {
	ID string `yaml:"id"`
	// Kind: exec, read, write, edit, fetch, mcp, prompt, install.
	Kind string `yaml:"kind"`
	// Match: a regular expression against the action's command, path, URL
	// or tool name.
	Match    string   `yaml:"match"`
	Decision Decision `yaml:"decision"`
	Reason   string   `yaml:"reason"`
}

// Dependencies configures the dependency gate.
type Dependencies struct {
	// InternalScopes/InternalNames: packages that must never resolve from a
	// public registry (dependency confusion), e.g. "@acme/*".
	InternalScopes []string `yaml:"internal_scopes"`
	InternalNames  []string `yaml:"internal_names"`
	// Typosquat: check names against popular packages.
	Typosquat bool `yaml:"typosquat"`
	// Unpinned: severity for unpinned dependencies ("off" disables).
	Unpinned string `yaml:"unpinned"`
	// InstallScripts: severity for new packages with install scripts.
	InstallScripts string `yaml:"install_scripts"`
	// DBURL: where `warden db update` fetches OSV archives.
	DBURL string `yaml:"db_url"`
	// RegistryURL: for --online existence checks, per ecosystem.
	RegistryURL map[string]string `yaml:"registry_url"`
}

// Exception suppresses findings with an accountable reason.
type Exception struct {
	Fingerprint string `yaml:"fingerprint"`
	Rule        string `yaml:"rule"`
	Path        string `yaml:"path"` // glob
	Reason      string `yaml:"reason"`
	Owner       string `yaml:"owner"`
	Expires     Date   `yaml:"expires"`
}

// Instructions is the secure-coding guidance `warden init` renders into the
// agents' instruction files.
type Instructions struct {
	// Extra guidance appended to the rendered policy summary (Markdown).
	Extra string `yaml:"extra"`
	// Targets: claude, agents, gemini, cursor, copilot.
	Targets []string `yaml:"targets"`
}

type Audit struct {
	// Path of the log (default .warden/audit/audit.jsonl under the repository).
	Path string `yaml:"path"`
	// Retention: segments older than this are removed, e.g. "365d".
	Retention Duration `yaml:"retention"`
	// RotateSize: start a new segment when the current one is larger.
	RotateSize ByteSize `yaml:"rotate_size"`
	// CheckpointEvery / CheckpointInterval: sign a checkpoint every N events or T.
	CheckpointEvery    int      `yaml:"checkpoint_every"`
	CheckpointInterval Duration `yaml:"checkpoint_interval"`
	// Key: path of the ed25519 signing key (outside the repository).
	Key string `yaml:"key"`
}
