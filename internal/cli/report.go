package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/gitx"
	"github.com/wardenhq/warden/internal/kpi"
)

func newReportCmd(e *Env) *cobra.Command {
	var fl auditFlags
	var since, until, rangeSpec, format, indexPath string
	var rebuild bool
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Security KPIs from the audit log: findings per release, MTTR, leaks, blocked agent actions",
		Long: `Report computes, over a time window or a range of commits or tags, the
measures security leaders track: critical and high findings per release, mean
time to remediate (first seen to gone, by fingerprint), secret leak incidents,
denied and asked agent actions by rule and by agent, unauthorized-access
attempts blocked, and vulnerable dependency age.

It reads an embedded SQLite index (default: kpi.db beside the audit log) that
it brings up to date from the log first; --rebuild recreates it from the log.
The numbers come from scan.gate events (record release scans with their tag)
and agent.action events; every report states its definitions.`,
		Example: `  warden report
  warden report --since 30d --format markdown > kpis.md
  warden report --range v1.2.0..v1.3.0 --format json
  warden report --since 2026-10-01 --until 2026-11-01 --rebuild`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch format {
			case "text", "json", "markdown", "md":
			default:
				return Usagef("--format %q: want text, json or markdown", format)
			}
			_, logPath, err := fl.load(e)
			if err != nil {
				return err
			}
			now := time.Now()
			var q kpi.Query
			if q.Since, err = parseWhen("since", since, now); err != nil {
				return err
			}
			if q.Until, err = parseWhen("until", until, now); err != nil {
				return err
			}
			if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
				return Usagef("--until must be after --since")
			}
			if rangeSpec != "" {
				repo, err := gitx.Open(cmd.Context(), e.Dir)
				if err != nil {
					return Usagef("--range needs a git repository: %v", err)
				}
				commits, err := repo.RevList(cmd.Context(), rangeSpec)
				if err != nil {
					return Usagef("--range %s: %v", rangeSpec, err)
				}
				q.Commits, q.Range = commits, rangeSpec
				if q.Commits == nil {
					q.Commits = []string{}
				}
			}
			if _, err := os.Stat(logPath); errors.Is(err, os.ErrNotExist) {
				return Usagef("no audit log at %s: nothing recorded yet (agent hooks and scan gates write it)", logPath)
			}
			ip := indexPath
			if ip == "" {
				ip = filepath.Join(filepath.Dir(logPath), "kpi.db")
			} else {
				ip = absUnder(e.Dir, ip)
			}
			x, err := kpi.OpenIndex(ip)
			if err != nil {
				return err
			}
			defer x.Close()
			if rebuild {
				_, err = x.Rebuild(cmd.Context(), logPath)
			} else {
				_, err = x.Update(cmd.Context(), logPath)
			}
			if err != nil {
				return fmt.Errorf("indexing %s: %w (run 'warden audit verify')", logPath, err)
			}
			rep, err := x.Report(cmd.Context(), q)
			if err != nil {
				return err
			}
			switch strings.ToLower(format) {
			case "json":
				return rep.WriteJSON(e.Stdout)
			case "markdown", "md":
				return rep.WriteMarkdown(e.Stdout)
			default:
				return rep.WriteText(e.Stdout)
			}
		},
	}
	cmd.Flags().StringVar(&fl.policy, "policy", "", "policy file to use instead of warden.yaml")
	cmd.Flags().StringVar(&fl.log, "log", "", "audit log path (default: audit.path from the policy)")
	cmd.Flags().StringVar(&since, "since", "", "window start: time, date or duration ago (30d)")
	cmd.Flags().StringVar(&until, "until", "", "window end: time, date or duration ago")
	cmd.Flags().StringVar(&rangeSpec, "range", "", "only events at these commits: a git range (v1.2.0..v1.3.0)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, json or markdown")
	cmd.Flags().StringVar(&indexPath, "index", "", "SQLite index path (default: kpi.db beside the audit log)")
	cmd.Flags().BoolVar(&rebuild, "rebuild", false, "rebuild the index from the log")
	return cmd
}
