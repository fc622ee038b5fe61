package cli

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/policy"
)

// Version is set at build time with -ldflags "-X ...cli.Version=v1.2.3";
// otherwise it is read from the module build info.
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func newVersionCmd(e *Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print warden's version and the policy schema version",
		Example: `  warden version
  warden version --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := map[string]any{
				"version":       version(),
				"policy_schema": policy.SchemaVersion,
				"go":            runtime.Version(),
				"platform":      runtime.GOOS + "/" + runtime.GOARCH,
			}
			db, dbText := dbSummary(e)
			info["vulnerability_db"] = db
			if asJSON {
				enc := json.NewEncoder(e.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(info)
			}
			fmt.Fprintf(e.Stdout, "warden %s\npolicy schema: v%d\ngo: %s %s\n",
				info["version"], policy.SchemaVersion, info["go"], info["platform"])
			fmt.Fprintf(e.Stdout, "vulnerability database: %s\n", dbText)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}
