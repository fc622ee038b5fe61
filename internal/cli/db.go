package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/registry"
	"github.com/wardenhq/warden/internal/scan"
	"github.com/wardenhq/warden/internal/scan/deps"
	"github.com/wardenhq/warden/internal/vulndb"
)

// dbDir is where the vulnerability database lives: --db-dir, else
// $WARDEN_DB_DIR, else warden/vulndb in the user's cache directory.
func dbDir(e *Env, flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	d, err := vulndb.DefaultDir(e.Getenv)
	if err != nil {
		return "", Usagef("%v", err)
	}
	return d, nil
}

// httpFetcher downloads database archives.
type httpFetcher struct{ client *http.Client }

func (f httpFetcher) Fetch(ctx context.Context, url string) (io.ReadCloser, error) {
	if path, ok := strings.CutPrefix(url, "file://"); ok {
		// A mirror on disk or a mounted share (dependencies.db_url: file://).
		return os.Open(filepath.FromSlash(path))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "warden/"+version())
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return resp.Body, nil
}

func newDBCmd(e *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Fetch, import and inspect the offline vulnerability database",
		Long: `The dependency gate checks packages against an offline copy of the OSV
vulnerability database (https://osv.dev). 'warden db update' downloads it,
'warden db import' builds it from files you bring (air-gapped machines), and
'warden db status' says what it holds and how old it is.

The database lives in --db-dir, else $WARDEN_DB_DIR, else warden/vulndb in
the user's cache directory. A scan warns when it is older than the policy's
gates.max_db_age (default 7d), and fails instead with db_age_action: fail.`,
		Example: `  warden db update
  warden db status`,
		Args: cobra.NoArgs,
	}
	cmd.PersistentFlags().String("db-dir", "", "database directory (default $WARDEN_DB_DIR, else the user cache directory)")
	cmd.AddCommand(newDBUpdateCmd(e), newDBImportCmd(e), newDBStatusCmd(e))
	return cmd
}

func newDBUpdateCmd(e *Env) *cobra.Command {
	var url, policyFile string
	var ecosystems []string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download the OSV database and swap it in",
		Long: `Downloads BASE/ECOSYSTEM/all.zip for each ecosystem from the OSV bucket, or
from a mirror given by --url or the policy's dependencies.db_url; checks every
archive (zip structure, CRC of each member, each member a valid OSV record);
builds the index; and replaces the current database in one atomic rename.
If anything fails the current database is left as it was.`,
		Example: `  warden db update
  warden db update --ecosystem npm,PyPI
  warden db update --url https://osv-mirror.example.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := dbDir(e, cmd.Flag("db-dir").Value.String())
			if err != nil {
				return err
			}
			base := url
			if base == "" {
				eff, err := loadPolicyAt(e, e.Dir, policyFile)
				if err != nil {
					return err
				}
				base = eff.Dependencies.DBURL
			}
			if base == "" {
				base = DefaultDBURL
			}
			if !strings.HasPrefix(base, "https://") && !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "file://") {
				return Usagef("--url %q: want an https://, http:// or file:// URL", base)
			}
			if err := checkEcosystems(ecosystems); err != nil {
				return err
			}
			ctx := cmd.Context()
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			start := time.Now()
			fmt.Fprintf(e.Stderr, "warden: downloading %s from %s\n", strings.Join(orDefault(ecosystems), ", "), base)
			meta, err := vulndb.Update(ctx, dir, base, ecosystems, httpFetcher{client: &http.Client{Timeout: dbDownloadTimeout}}, time.Now())
			if err != nil {
				return fmt.Errorf("db update failed, the current database is unchanged: %w", err)
			}
			fmt.Fprintf(e.Stdout, "updated %s: %d records in %s\n", filepath.Join(dir, vulndb.File), meta.Records(), time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "", "base URL of the OSV archives (default: the policy's dependencies.db_url, else "+DefaultDBURL+")")
	cmd.Flags().StringSliceVar(&ecosystems, "ecosystem", nil, "ecosystems to fetch, as OSV names them (default: "+strings.Join(vulndb.DefaultEcosystems, ",")+")")
	cmd.Flags().StringVar(&policyFile, "policy", "", "policy file to read dependencies.db_url from")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "give up after this long")
	return cmd
}

// DefaultDBURL is the public OSV bucket.
const DefaultDBURL = "https://osv-vulnerabilities.storage.googleapis.com"

func orDefault(ecos []string) []string {
	if len(ecos) == 0 {
		return vulndb.DefaultEcosystems
	}
	return ecos
}

func checkEcosystems(ecos []string) error {
	for _, eco := range ecos {
		if eco == "" || strings.ContainsAny(eco, "/\\?#") {
			return Usagef("--ecosystem %q: not an ecosystem name (e.g. npm, PyPI, Go, crates.io, RubyGems, Packagist, Maven)", eco)
		}
	}
	return nil
}

func newDBImportCmd(e *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "import PATH",
		Short: "Build the database from a local OSV zip or a directory of OSV JSON",
		Long: `Builds the database from an OSV archive (an ecosystem's all.zip) or a
directory of OSV JSON records (and archives), for machines without Internet
access. Every record must be valid OSV; otherwise nothing is changed.`,
		Example: `  warden db import ~/Downloads/npm-all.zip
  warden db import ./osv-records/`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := dbDir(e, cmd.Flag("db-dir").Value.String())
			if err != nil {
				return err
			}
			src := args[0]
			if !filepath.IsAbs(src) {
				src = filepath.Join(e.Dir, src)
			}
			if _, err := os.Stat(src); err != nil {
				return Usagef("db import: %v", err)
			}
			meta, err := vulndb.Import(cmd.Context(), dir, src, time.Now())
			if err != nil {
				if errors.Is(err, vulndb.ErrInvalidRecord) || strings.Contains(err.Error(), "not a zip") || strings.Contains(err.Error(), "no OSV records") {
					return &UsageError{Err: fmt.Errorf("db import failed, the current database is unchanged: %w", err)}
				}
				return fmt.Errorf("db import failed, the current database is unchanged: %w", err)
			}
			fmt.Fprintf(e.Stdout, "imported %d records into %s\n", meta.Records(), filepath.Join(dir, vulndb.File))
			return nil
		},
	}
}

func newDBStatusCmd(e *Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the database's ecosystems, record counts and age",
		Example: `  warden db status
  warden db status --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := dbDir(e, cmd.Flag("db-dir").Value.String())
			if err != nil {
				return err
			}
			db, err := vulndb.Open(dir)
			if errors.Is(err, vulndb.ErrNoDatabase) {
				fmt.Fprintf(e.Stderr, "warden: no vulnerability database in %s; run 'warden db update' (or 'warden db import PATH' offline)\n", dir)
				return ErrGateFailed
			}
			if err != nil {
				return err
			}
			defer db.Close()
			m := db.Meta()
			age := time.Since(m.Built)
			if asJSON {
				enc := json.NewEncoder(e.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{
					"path": db.Path(), "built": m.Built, "age_days": int(age.Hours() / 24), "source": m.Source,
					"records": m.Records(), "withdrawn_skipped": m.Withdrawn, "ecosystems": m.Ecosystems,
				})
			}
			fmt.Fprintf(e.Stdout, "database: %s\nbuilt:    %s (%s ago)\nsource:   %s\nrecords:  %d (%d withdrawn records skipped)\n",
				db.Path(), m.Built.Format(time.RFC3339), humanAge(age), m.Source, m.Records(), m.Withdrawn)
			ecos := make([]string, 0, len(m.Ecosystems))
			for k := range m.Ecosystems {
				ecos = append(ecos, k)
			}
			sort.Strings(ecos)
			fmt.Fprintf(e.Stdout, "\n%-12s %9s %9s  %s\n", "ECOSYSTEM", "RECORDS", "PACKAGES", "NEWEST RECORD")
			for _, k := range ecos {
				s := m.Ecosystems[k]
				newest := "-"
				if !s.Newest.IsZero() {
					newest = s.Newest.Format(time.DateOnly)
				}
				fmt.Fprintf(e.Stdout, "%-12s %9d %9d  %s\n", k, s.Records, s.Packages, newest)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func humanAge(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

// newDepsEngine builds the dependency gate for a scan: the policy's
// settings and the database, if there is one (if not, the engine reports
// a notice saying how to get one; with db_age_action: fail it blocks).
// buildEngines has no Env, so the database directory is read from the
// process environment ($WARDEN_DB_DIR).
func newDepsEngine(p *policy.Effective) *deps.Engine {
	opt := deps.OptionsFromPolicy(&p.Policy)
	dir, err := dbDir(&Env{Getenv: os.Getenv}, "")
	if err == nil {
		opt.DB, err = vulndb.Open(dir)
	}
	if err != nil {
		opt.DB, opt.DBError = nil, err
	}
	return deps.New(opt)
}

// enableOnline turns on --online checks in the deps engine of a scan.
func enableOnline(engines []scan.Engine, p *policy.Effective) {
	for _, en := range engines {
		if d, ok := en.(*deps.Engine); ok {
			d.SetRegistry(registry.New(p.Dependencies.RegistryURL, &http.Client{Timeout: 20 * time.Second}))
		}
	}
}

// dbSummary describes the vulnerability database for `warden version`.
func dbSummary(e *Env) (map[string]any, string) {
	dir, err := dbDir(e, "")
	if err != nil {
		return map[string]any{"error": err.Error()}, err.Error()
	}
	db, err := vulndb.Open(dir)
	if err != nil {
		if errors.Is(err, vulndb.ErrNoDatabase) {
			return map[string]any{"path": dir, "present": false}, "none in " + dir + " (run 'warden db update')"
		}
		return map[string]any{"path": dir, "error": err.Error()}, err.Error()
	}
	defer db.Close()
	m := db.Meta()
	age := time.Since(m.Built)
	return map[string]any{"path": db.Path(), "present": true, "built": m.Built, "age_days": int(age.Hours() / 24), "records": m.Records()},
		fmt.Sprintf("%d records, built %s (%s ago)", m.Records(), m.Built.Format(time.DateOnly), humanAge(age))
}

// dbDownloadTimeout bounds one archive download: the largest OSV
// ecosystem archives are hundreds of megabytes, so it is generous, but a
// stalled server must not hang `warden db update` forever.
const dbDownloadTimeout = 30 * time.Minute
