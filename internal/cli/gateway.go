package cli

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/gateway"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/scan/secrets"
)

func newGatewayCmd(e *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gateway",
		Short: "Run the model gateway: policy-checked, secret-redacting proxy for the model APIs",
		Long: `The gateway is a proxy that coding agents point at instead of the provider
(ANTHROPIC_BASE_URL=http://127.0.0.1:8787, OPENAI_BASE_URL=http://127.0.0.1:8787/v1).
It admits only warden virtual keys,
sends code of each classification only to the models the policy's models
section allows for it, replaces secrets in prompts by placeholders before they
leave (restoring them in the answer, also when streamed), and audits every
request without its content. Provider keys stay in the gateway's environment.

Supported today: the Anthropic Messages API and the OpenAI Chat Completions
and Responses APIs (streaming and tool calls).
Limits per key: requests per minute, tokens and spend per UTC day (429 with
Retry-After when reached).
Confidential upstreams (confidential: true) are used only after their
attestation (AMD SEV-SNP, Intel TDX, NVIDIA GPU token) verifies against the
policy's models.attestation and is bound to their TLS key; code of a
classification in models.require_attestation goes only to them. Any
attestation failure refuses the request (HTTP 400, with the reason) and is audited.`,
		Example: `  warden gateway keygen --id alice --team payments --classification internal
  ANTHROPIC_API_KEY=sk-ant-... warden gateway serve --config gateway.yaml`,
	}
	cmd.AddCommand(newGatewayServeCmd(e), newGatewayKeygenCmd(e), newGatewayAttestCmd(e))
	return cmd
}

func newGatewayServeCmd(e *Env) *cobra.Command {
	var cfgPath, listen, debugAddr string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the gateway until interrupted",
		Long: `Serve reads the gateway config (upstreams, virtual key hashes) and the
repository's effective policy, then proxies until interrupted. The config:

  listen: 127.0.0.1:8787
  upstreams:
    - name: anthropic
      provider: anthropic
      url: https://api.anthropic.com
      api_key_env: ANTHROPIC_API_KEY   # the provider key, read from the environment
      models: ["claude-*"]
    - name: openai
      provider: openai                 # /v1/chat/completions and /v1/responses
      url: https://api.openai.com      # without /v1
      api_key_env: OPENAI_API_KEY
  keys:                                # from 'warden gateway keygen'
    - id: alice
      sha256: 3f2a...                  # SHA-256 of the virtual key, never the key
      team: payments
      classification: internal
      limits:                          # optional; 0 or absent means none
        requests_per_minute: 60
        tokens_per_day: 2000000        # as the upstream reports them
        spend_per_day: 20              # USD, priced with prices below
    - name: tee
      provider: anthropic
      url: https://tee.example.com:8443  # must be https: attestation binds its TLS key
      confidential: true
      attestation:
        evidence: [sev-snp, nvidia-eat]  # kinds that must all verify (sev-snp, tdx, nvidia-eat)
        # evidence_url: https://tee.example.com:8443/.well-known/warden-attestation  (default)
        # ca_file: tee-ca.pem   or   pin_only: true (the attested key is the only TLS check)
        # collateral: document | fetch | none
  aliases:                             # name clients use -> real model; the policy sees the real one
    fast: anthropic/claude-haiku-4-5
  prices:                              # USD per million tokens
    - {model: "anthropic/claude-sonnet-*", input_per_mtok: 3, output_per_mtok: 15}`,
		Example: `  warden gateway serve --config gateway.yaml
  warden gateway serve --config gateway.yaml --listen 127.0.0.1:9000 --policy warden.yaml
  # profile under load (off by default; loopback only):
  warden gateway serve --config gateway.yaml --debug-addr 127.0.0.1:6060 &
  go tool pprof 'http://127.0.0.1:6060/debug/pprof/profile?seconds=10'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfgPath == "" {
				return Usagef("--config is required (see 'warden gateway serve --help')")
			}
			cfg, err := gateway.LoadConfig(cfgPath)
			if err != nil {
				return &UsageError{Err: err}
			}
			if listen != "" {
				cfg.Listen = listen
			}
			eff, err := loadPolicyFlag(cmd, e)
			if err != nil {
				return err
			}
			eng, err := secrets.New(secrets.Options{Custom: eff.Rules.Secrets})
			if err != nil {
				return &UsageError{Err: fmt.Errorf("rules.secrets: %w", err)}
			}
			log, err := openAuditLog(e, eff, e.Dir)
			if err != nil {
				return fmt.Errorf("opening the audit log: %w", err)
			}
			defer log.Close()
			key := make([]byte, 32)
			if _, err := rand.Read(key); err != nil {
				return err
			}
			logger := slog.New(slog.NewJSONHandler(e.Stderr, nil))
			g, err := gateway.New(gateway.Options{Config: cfg, Policy: eff, Secrets: eng, Getenv: e.Getenv,
				Audit: log, Logger: logger, PlaceholderKey: key})
			if err != nil {
				return err
			}
			ctx, stop := context.WithCancel(cmd.Context())
			defer stop()
			go g.Run(ctx) // scheduled re-attestation of confidential upstreams
			// Appends seal in batches: seal what waits in the journal
			// shortly after traffic stops (log.Close waits for a seal in
			// progress).
			go log.SealEvery(ctx, auditSealEvery)
			defer func() {
				stop()
				if err := log.SealPending(context.Background()); err != nil {
					logger.Warn("audit: sealing pending events failed", "err", err)
				}
			}()
			if debugAddr != "" {
				if _, err := serveDebug(ctx, debugAddr, logger); err != nil {
					return err
				}
			}
			return serveGateway(ctx, cfg.Listen, g.Handler(), eff, logger)
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "gateway config file (upstreams and virtual keys)")
	cmd.Flags().StringVar(&listen, "listen", "", "address to listen on (overrides the config)")
	cmd.Flags().String("policy", "", "policy file (default: warden.yaml in the current directory)")
	cmd.Flags().StringVar(&debugAddr, "debug-addr", "", "serve Go runtime profiles (pprof) on this address, e.g. 127.0.0.1:6060; off by default, never expose it")
	return cmd
}

func serveGateway(ctx context.Context, addr string, h http.Handler, eff *policy.Effective, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return &UsageError{Err: fmt.Errorf("listen %s: %w", addr, err)}
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Info("gateway listening", "addr", ln.Addr().String(), "policy_sha256", eff.SHA256)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

func newGatewayKeygenCmd(e *Env) *cobra.Command {
	var id, team, class string
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Make a new virtual key and print its config entry",
		Long: `keygen prints a new random virtual key (give it to the agent, e.g. as
ANTHROPIC_API_KEY) on stdout's first line, and the entry for the gateway
config's keys list, which holds only the key's SHA-256, after it.`,
		Example: `  warden gateway keygen --id alice --team payments --classification internal`,
		Args:    cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if id == "" {
				return Usagef("--id is required")
			}
			switch policy.Classification(class) {
			case policy.Public, policy.Internal, policy.Confidential, policy.Restricted:
			default:
				return Usagef("--classification %q is not one of public, internal, confidential, restricted", class)
			}
			b := make([]byte, 24)
			if _, err := rand.Read(b); err != nil {
				return err
			}
			key := "wvk_" + base64.RawURLEncoding.EncodeToString(b)
			sum := sha256.Sum256([]byte(key))
			fmt.Fprintln(e.Stdout, key)
			fmt.Fprintf(e.Stdout, "# add to the gateway config's keys:\n  - id: %s\n    sha256: %s\n    team: %s\n    classification: %s\n",
				id, hex.EncodeToString(sum[:]), team, class)
			return nil
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "name of the key (shown in the audit log)")
	cmd.Flags().StringVar(&team, "team", "", "team the key belongs to")
	cmd.Flags().StringVar(&class, "classification", "internal", "classification of the code sent with this key")
	return cmd
}

func newGatewayAttestCmd(e *Env) *cobra.Command {
	var cfgPath string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "attest",
		Short: "Attest the config's confidential upstreams now and show what verified",
		Long: `attest fetches fresh evidence from every confidential upstream in the gateway
config (confidential: true), verifies it against the policy's
models.attestation exactly as 'warden gateway serve' does before sending code,
and prints, per upstream, what verified (evidence kinds, measurements, checks,
the pinned TLS key) or what failed and why.

Exit status: 0 when every confidential upstream verified, 1 when one failed,
2 for a bad config or policy, or a config without confidential upstreams.`,
		Example: `  warden gateway attest --config gateway.yaml
  warden gateway attest --config gateway.yaml --policy warden.yaml --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfgPath == "" {
				return Usagef("--config is required (see 'warden gateway attest --help')")
			}
			cfg, err := gateway.LoadConfig(cfgPath)
			if err != nil {
				return &UsageError{Err: err}
			}
			eff, err := loadPolicyFlag(cmd, e)
			if err != nil {
				return err
			}
			eng, err := secrets.New(secrets.Options{})
			if err != nil {
				return err
			}
			g, err := gateway.New(gateway.Options{Config: cfg, Policy: eff, Secrets: eng, Getenv: e.Getenv,
				PlaceholderKey: make([]byte, 32)})
			if err != nil {
				return &UsageError{Err: err}
			}
			reports := g.Attest(cmd.Context())
			if len(reports) == 0 {
				return Usagef("%s has no confidential upstream (confidential: true) to attest", cfgPath)
			}
			failed := false
			for _, r := range reports {
				failed = failed || !r.Verified
			}
			if asJSON {
				enc := json.NewEncoder(e.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(reports); err != nil {
					return err
				}
			} else {
				for _, r := range reports {
					if !r.Verified {
						fmt.Fprintf(e.Stdout, "%s: REFUSED (%s): %s\n", r.Upstream, r.Check, r.Error)
						continue
					}
					fmt.Fprintf(e.Stdout, "%s: verified; TLS key sha256:%s pinned until %s\n", r.Upstream, r.TLSKeySHA256, r.Expires.UTC().Format(time.RFC3339))
					for _, ev := range r.Evidence {
						fmt.Fprintf(e.Stdout, "  %s measurement %s (checks: %s)\n", ev.Kind, ev.Measurement, strings.Join(ev.Checks, ", "))
					}
				}
			}
			if failed {
				return ErrGateFailed
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "gateway config file")
	cmd.Flags().String("policy", "", "policy file (default: warden.yaml in the current directory)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the reports as JSON")
	return cmd
}
