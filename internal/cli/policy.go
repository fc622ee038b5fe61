package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/policy"
)

// DefaultOrgPolicy is the organization baseline used when
// WARDEN_ORG_POLICY is not set and this file exists.
const DefaultOrgPolicy = "/etc/warden/policy.yaml"

// defaultOrgPolicy is DefaultOrgPolicy; tests point it elsewhere so that a
// machine's own baseline does not leak into them.
var defaultOrgPolicy = DefaultOrgPolicy

// policySubcommands are the subcommands other files attach to
// `warden policy` (e.g. explain) from an init function, so that this file
// and theirs never edit the same lines.
var policySubcommands []func(*Env) *cobra.Command

// addPolicySubcommand attaches a subcommand to `warden policy`. Inside it,
// loadPolicyFlag(cmd, e) loads the policy that --policy names.
func addPolicySubcommand(newCmd func(*Env) *cobra.Command) {
	policySubcommands = append(policySubcommands, newCmd)
}

func newPolicyCmd(e *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Validate and inspect the security policy (warden.yaml)",
		Long: `The effective policy is warden's built-in defaults, then the organization
baseline (WARDEN_ORG_POLICY, else /etc/warden/policy.yaml if it exists), then
the repository's warden.yaml or .warden/policy.yaml. What the organization
locks, a repository may tighten but not loosen. See docs/POLICY.md.`,
		Example: `  warden policy check
  warden policy check --policy ci/warden.yaml
  warden policy show
  warden policy show --json | jq .sources`,
		Args: cobra.NoArgs,
	}
	cmd.PersistentFlags().String("policy", "", "policy file to use instead of warden.yaml or .warden/policy.yaml in the current directory")
	cmd.AddCommand(newPolicyCheckCmd(e), newPolicyShowCmd(e))
	for _, f := range policySubcommands {
		cmd.AddCommand(f(e))
	}
	return cmd
}

func newPolicyCheckCmd(e *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Validate every layer of the policy and print its sha256",
		Long: `Check loads the built-in defaults, the organization baseline and the
repository policy, validates each strictly (unknown keys, wrong types, bad
globs and regular expressions, missing reasons...) and checks the
organization's locks. It prints OK with the effective policy's sha256, or
every problem with its file:line:column and key, and exits 2. Likely
mistakes that do not invalidate the policy (an expired exception, one with
no owner or expiry) are printed as warnings on stderr.`,
		Example: `  warden policy check
  warden policy check --policy path/to/warden.yaml
  WARDEN_ORG_POLICY=org.yaml warden policy check`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eff, err := loadPolicyFlag(cmd, e)
			if err != nil {
				return err
			}
			for _, w := range eff.Warnings(time.Now()) {
				fmt.Fprintf(e.Stderr, "warning: %s\n", w)
			}
			fmt.Fprintf(e.Stdout, "OK policy sha256:%s\nlayers: %s\n", eff.SHA256, layersLine(eff))
			return nil
		},
	}
}

func newPolicyShowCmd(e *Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Print the effective merged policy and where each value came from",
		Long: `Show prints the effective policy: every key, its value, and (as a comment,
or under "sources" with --json) whether it came from warden's built-in
defaults or from which file.`,
		Example: `  warden policy show
  warden policy show --json
  warden policy show --json | jq '.policy.gates'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eff, err := loadPolicyFlag(cmd, e)
			if err != nil {
				return err
			}
			if asJSON {
				out := struct {
					SHA256  string            `json:"sha256"`
					Layers  []string          `json:"layers"`
					Policy  json.RawMessage   `json:"policy"`
					Sources map[string]string `json:"sources"`
				}{eff.SHA256, append([]string{policy.BuiltinSource}, eff.Layers...), eff.Canonical(), eff.Sources}
				b, err := json.MarshalIndent(out, "", "  ")
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(e.Stdout, "%s\n", b)
				return err
			}
			y, err := eff.AnnotatedYAML()
			if err != nil {
				return err
			}
			fmt.Fprintf(e.Stdout, "# effective policy sha256:%s\n# layers: %s\n", eff.SHA256, layersLine(eff))
			_, err = e.Stdout.Write(y)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON: sha256, layers, policy, sources")
	return cmd
}

func layersLine(eff *policy.Effective) string {
	return strings.Join(append([]string{policy.BuiltinSource}, eff.Layers...), " < ")
}

// loadPolicyFlag loads the effective policy for a command that has the
// --policy flag (itself or inherited).
func loadPolicyFlag(cmd *cobra.Command, e *Env) (*policy.Effective, error) {
	file, _ := cmd.Flags().GetString("policy")
	return loadPolicy(e, file)
}

// loadPolicy loads the effective policy for the repository at e.Dir (or
// the explicit file), with the organization baseline. A bad policy is a
// UsageError (exit 2) listing every problem.
func loadPolicy(e *Env, file string) (*policy.Effective, error) {
	return loadPolicyFrom(e, e.Dir, file)
}

// loadPolicyFrom loads the effective policy whose repository policy is in
// dir, or the explicit file (relative to the working directory).
func loadPolicyFrom(e *Env, dir, file string) (*policy.Effective, error) {
	opts := policy.LoadOptions{Dir: dir, OrgPath: orgPolicyPath(e)}
	if file != "" {
		opts.File = file
		if !filepath.IsAbs(file) {
			opts.File = filepath.Join(e.Dir, file)
		}
	}
	eff, err := policy.Load(opts)
	if err != nil {
		return nil, policyError(err)
	}
	return eff, nil
}

func orgPolicyPath(e *Env) string {
	var v string
	if e.Getenv != nil {
		v = e.Getenv("WARDEN_ORG_POLICY")
	}
	if v != "" {
		if !filepath.IsAbs(v) {
			v = filepath.Join(e.Dir, v)
		}
		return v
	}
	if _, err := os.Stat(defaultOrgPolicy); err == nil {
		return defaultOrgPolicy
	}
	return ""
}

// policyError makes a policy load error a UsageError when it is the user's
// to fix, listing each problem on its own line.
func policyError(err error) error {
	if !policy.IsUserError(err) {
		return fmt.Errorf("loading the policy: %w", err)
	}
	var list policy.Errors
	if errors.As(err, &list) && len(list) > 1 {
		lines := make([]string, len(list))
		for i, e := range list {
			lines[i] = "  " + e.Error()
		}
		return &UsageError{Err: fmt.Errorf("invalid policy (%d problems):\n%s", len(list), strings.Join(lines, "\n"))}
	}
	return &UsageError{Err: fmt.Errorf("invalid policy: %w", err)}
}
