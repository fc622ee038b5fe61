// Package archtest holds tests about the shape of the code base itself:
// which packages are warden's core, and what the core may not depend on.
//
// The core (policy, findings, engines, the agent's decisions, the audit
// log, report rendering) must run anywhere and be testable with values: it
// takes an io.FS, a clock or a *slog.Logger as arguments and never reaches
// the network, another process, a terminal or a global logger. Adapters
// (internal/cli, internal/gitx, the agents' vendor packages, the gateway)
// are where those live.
package archtest

// CorePackages lists the core, as module-relative directories; "dir/..."
// includes every package below dir. Add a package here when it is created:
// this is the one list.
var CorePackages = []string{
	"internal/finding",
	"internal/redact",
	"internal/policy/...",
	"internal/scan/...",
	"internal/baseline",
	"internal/report/...",
	"internal/agent/...", // the guard and the vendors' payload codecs
	"internal/audit/...",
	"internal/shell",
	"internal/kpi",
	"internal/vulndb", // fetching goes through a Fetcher the CLI provides
	"internal/lazyre",
	"internal/attest", // evidence and keys come from the caller (CertGetter, KeySet)
}

// Adapters, for the record (not checked): internal/cli, internal/gitx (runs
// git), internal/registry (--online lookups over HTTP), internal/e2e.

// ForbiddenImports may not be imported, directly or through another
// package of this module, by a core package.
var ForbiddenImports = []string{
	"net/http",
	"os/exec",
	"golang.org/x/term",
	"log",
}

// ForbiddenCalls are package-level functions of log/slog that use the
// process-wide logger; the core takes a *slog.Logger instead.
var ForbiddenCalls = map[string][]string{
	"log/slog": {"Default", "SetDefault", "SetLogLoggerLevel", "Debug", "DebugContext", "Info", "InfoContext", "Warn", "WarnContext", "Error", "ErrorContext", "Log", "LogAttrs"},
}
