package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/baseline"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/scan"
)

type baselineFlags struct {
	reason     string
	owner      string
	expires    string
	output     string
	policyFile string
}

func newBaselineCmd(e *Env) *cobra.Command {
	var fl baselineFlags
	cmd := &cobra.Command{
		Use:   "baseline [PATH]",
		Short: "Accept the current findings, with a reason, an owner and an expiry",
		Long: `Scan PATH (default: the current directory) as 'warden scan' does and record
every current finding's fingerprint in PATH/.warden/baseline.json, with the
reason it is accepted, who owns that decision and the day it expires.

Later scans suppress these findings (and count them in the summary) until
the expiry date has passed; from then on they are reported again, marked as
expired. New findings are never covered. Findings already suppressed by a
policy exception are not recorded. Running baseline again replaces the file:
fixed findings drop out of it. Commit the file so reviewers see what was
accepted, by whom and until when.`,
		Example: `  # accept today's findings for 90 days while the team fixes them
  warden baseline --reason "legacy code, tracked in SEC-123" --owner alice@example.com --expires 2027-03-01

  # for a subdirectory, written elsewhere
  warden baseline services/api --reason "vendored" --owner platform --expires 2026-12-31 --output /tmp/b.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			target := "."
			if len(args) == 1 {
				target = args[0]
			}
			return runBaseline(cmd.Context(), e, target, &fl)
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.reason, "reason", "", "why these findings are accepted (required)")
	f.StringVar(&fl.owner, "owner", "", "who is accountable for the decision (required)")
	f.StringVar(&fl.expires, "expires", "", "last day the acceptance holds, `YYYY-MM-DD` (required)")
	f.StringVarP(&fl.output, "output", "o", "", "baseline `FILE` to write (default PATH/"+baseline.DefaultPath+")")
	f.StringVar(&fl.policyFile, "policy", "", "policy `FILE` to use instead of warden.yaml or .warden/policy.yaml")
	return cmd
}

func runBaseline(ctx context.Context, e *Env, target string, fl *baselineFlags) error {
	var missing []string
	for _, m := range []struct{ name, v string }{{"--reason", fl.reason}, {"--owner", fl.owner}, {"--expires", fl.expires}} {
		if strings.TrimSpace(m.v) == "" {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return Usagef("%s required (see 'warden baseline --help')", strings.Join(missing, ", "))
	}
	var exp policy.Date
	if err := exp.UnmarshalText([]byte(fl.expires)); err != nil {
		return Usagef("--expires: %v", err)
	}
	now := time.Now()
	if exp.Expired(now) {
		return Usagef("--expires %s is in the past", fl.expires)
	}
	root, single, err := resolveTarget(e, target)
	if err != nil {
		return err
	}
	if single != "" {
		return Usagef("baseline takes a directory, not a file: %s", target)
	}
	eff, err := loadPolicyAt(e, root, fl.policyFile)
	if err != nil {
		return err
	}
	engines, err := buildEngines(eff)
	if err != nil {
		return err
	}
	run, err := selectSource(ctx, e, root, "", target, &scanFlags{}, int64(eff.Gates.MaxFileSize))
	if err != nil {
		return err
	}
	if c, ok := run.source.(io.Closer); ok {
		defer c.Close()
	}
	ignore, err := readWardenignore(run.root)
	if err != nil {
		return err
	}
	res, err := scan.Run(ctx, hideFiles{run.source, wardenState(eff, repoRoot(ctx, run.root), run.root)}, scan.Options{
		Engines:     engines,
		MaxFileSize: int64(eff.Gates.MaxFileSize),
		Exclude:     wardenExcludes(eff),
		Ignore:      ignore,
		Logger:      slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return err
	}
	// Only what the policy's exceptions do not already cover.
	outcome := baseline.Apply(res.Findings, nil, eff.Exceptions, now)
	b, err := baseline.New(outcome.Findings, fl.reason, fl.owner, exp.Time, now)
	if err != nil {
		return &UsageError{Err: err}
	}
	data, err := b.Marshal()
	if err != nil {
		return err
	}
	out := fl.output
	switch {
	case out == "":
		out = filepath.Join(root, filepath.FromSlash(baseline.DefaultPath))
	case !filepath.IsAbs(out):
		out = filepath.Join(e.Dir, out)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return Usagef("--output: %v", err)
	}
	if err := writeFileAtomic(out, data, 0o644); err != nil {
		return Usagef("--output: %v", err)
	}
	rel, err := filepath.Rel(e.Dir, out)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = out
	}
	fmt.Fprintf(e.Stdout, "recorded %d finding(s) in %s, accepted until %s by %s\n", len(b.Findings), filepath.ToSlash(rel), fl.expires, fl.owner)
	if outcome.Suppressed > 0 {
		fmt.Fprintf(e.Stdout, "%d finding(s) already covered by policy exceptions were not recorded\n", outcome.Suppressed)
	}
	return nil
}
