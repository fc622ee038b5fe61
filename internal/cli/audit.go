package cli

import (
	"bufio"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/wardenhq/warden/internal/audit"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/policy"
)

// DefaultAuditPub is where `warden audit keygen` writes the public key,
// relative to the repository root; verify reads it from there.
const DefaultAuditPub = ".warden/audit.pub"

// openAuditLog opens the audit log that the policy configures for the
// repository at root, with its checkpoint signing key when that key exists.
// Commands that record events (the agent hook, the scan gate) call it and
// append with log.Append; they must Close it.
func openAuditLog(e *Env, eff *policy.Effective, root string) (*audit.Log, error) {
	signer, err := auditSigner(e, eff, root, "")
	if err != nil {
		return nil, err
	}
	return audit.Open(auditLogPath(eff, root, ""), audit.OptionsFromPolicy(eff.Audit, signer))
}

// auditActor is the user and host recording an event.
func auditActor(e *Env) audit.Actor {
	a := audit.Actor{User: e.Getenv("USER")}
	if a.User == "" {
		a.User = e.Getenv("USERNAME")
	}
	a.Host, _ = os.Hostname()
	return a
}

func auditLogPath(eff *policy.Effective, root, flag string) string {
	p := flag
	if p == "" {
		p = eff.Audit.Path
	}
	if p == "" {
		p = ".warden/audit/audit.jsonl"
	}
	return absUnder(root, p)
}

func absUnder(root, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(root, p)
}

// expandHome resolves a leading ~/ with $HOME.
func expandHome(e *Env, p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home := e.Getenv("HOME"); home != "" {
			return filepath.Join(home, rest)
		}
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

func auditKeyPath(e *Env, eff *policy.Effective, root, flag string) string {
	p := flag
	if p == "" {
		p = eff.Audit.Key
	}
	if p == "" {
		return ""
	}
	return absUnder(root, expandHome(e, p))
}

// auditSigner loads the signing key if it exists; no key means no
// checkpoints, a key with loose permissions is an error.
func auditSigner(e *Env, eff *policy.Effective, root, flag string) (note.Signer, error) {
	p := auditKeyPath(e, eff, root, flag)
	if p == "" {
		return nil, nil
	}
	if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) && flag == "" {
		return nil, nil
	}
	s, err := audit.LoadSigner(p)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	return s, nil
}

type auditFlags struct {
	policy string
	log    string
}

func (f *auditFlags) load(e *Env) (*policy.Effective, string, error) {
	eff, err := loadPolicy(e, f.policy)
	if err != nil {
		return nil, "", err
	}
	path := auditLogPath(eff, e.Dir, f.log)
	sealPending(e, eff, path)
	return eff, path, nil
}

// sealPending seals the events still waiting in the audit journal (appends
// seal in batches, so the last ones wait for the next due append or a
// reader; or their sealer was killed), so that readers see every event
// appended so far. Without write access it warns and leaves them; verify
// reports them as pending.
func sealPending(e *Env, eff *policy.Effective, path string) {
	if _, err := os.Stat(audit.JournalPath(path)); err != nil {
		return
	}
	l, err := audit.Open(path, audit.OptionsFromPolicy(eff.Audit, nil))
	if err == nil {
		_, err = l.Seal(context.Background())
		l.Close()
	}
	if err != nil {
		fmt.Fprintf(e.Stderr, "warden: warning: events waiting in %s were not sealed into the log: %v\n", audit.JournalPath(path), err)
	}
}

func newAuditCmd(e *Env) *cobra.Command {
	var fl auditFlags
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Keep, prove and read the tamper-evident audit log",
		Long: `Every agent guard decision and every gate run is recorded in an append-only,
hash-chained log (audit.path in the policy, default .warden/audit/audit.jsonl),
with checkpoints signed by an ed25519 key (audit.key) so that anyone holding
the public key can prove the log was not edited. See docs/AUDIT.md.`,
		Example: `  warden audit keygen
  warden audit verify
  warden audit show --since 24h --decision deny
  warden audit export --cursor siem.cursor >> siem.jsonl`,
		Args: cobra.NoArgs,
	}
	cmd.PersistentFlags().StringVar(&fl.policy, "policy", "", "policy file to use instead of warden.yaml")
	cmd.PersistentFlags().StringVar(&fl.log, "log", "", "audit log path (default: audit.path from the policy)")
	cmd.AddCommand(newAuditKeygenCmd(e, &fl), newAuditVerifyCmd(e, &fl), newAuditShowCmd(e, &fl),
		newAuditExportCmd(e, &fl), newAuditCheckpointCmd(e, &fl))
	return cmd
}

func newAuditKeygenCmd(e *Env, fl *auditFlags) *cobra.Command {
	var keyPath, pubPath, name string
	var force bool
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Make the ed25519 key pair that signs audit checkpoints",
		Long: `Keygen writes the private signing key outside the repository (default:
audit.key from the policy, ~/.config/warden/audit.key) with mode 0600, and the
public key to .warden/audit.pub, which you can commit so that anyone can
verify the log. It refuses to overwrite a key unless --force is given, and
refuses to put the private key inside the repository.`,
		Example: `  warden audit keygen
  warden audit keygen --key /etc/warden/audit.key --name ci-audit`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eff, err := loadPolicy(e, fl.policy)
			if err != nil {
				return err
			}
			kp := auditKeyPath(e, eff, e.Dir, keyPath)
			if kp == "" {
				return Usagef("no key path: set audit.key in the policy or pass --key")
			}
			if inside(e.Dir, kp) {
				return Usagef("the private key %s would be inside the repository %s: put it elsewhere (--key ~/.config/warden/audit.key)", kp, e.Dir)
			}
			pp := absUnder(e.Dir, pubPath)
			if !force {
				for _, p := range []string{kp, pp} {
					if _, err := os.Stat(p); err == nil {
						return Usagef("%s already exists: pass --force to replace it (checkpoints signed with the old key then no longer verify with the new public key)", p)
					}
				}
			}
			skey, vkey, err := audit.GenerateKey(nil, name)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(kp), 0o700); err != nil {
				return fmt.Errorf("creating key directory: %w", err)
			}
			if err := writePrivate(kp, skey+"\n"); err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(pp), 0o755); err != nil {
				return fmt.Errorf("creating public key directory: %w", err)
			}
			if err := os.WriteFile(pp, []byte(vkey+"\n"), 0o644); err != nil {
				return fmt.Errorf("writing public key: %w", err)
			}
			fmt.Fprintf(e.Stdout, "private key: %s (mode 0600; keep it secret and backed up)\npublic key:  %s (commit it)\nkey name:    %s\n", kp, pp, strings.SplitN(vkey, "+", 2)[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&keyPath, "key", "", "private key path (default: audit.key from the policy)")
	cmd.Flags().StringVar(&pubPath, "pub", DefaultAuditPub, "public key path")
	cmd.Flags().StringVar(&name, "name", audit.DefaultKeyName, "key name recorded in signatures")
	cmd.Flags().BoolVar(&force, "force", false, "replace existing keys")
	return cmd
}

func writePrivate(path, content string) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("writing private key: %w", err)
	}
	_, werr := f.WriteString(content)
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing private key: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing private key: %w", err)
	}
	return nil
}

// inside reports whether p is dir or below it.
func inside(dir, p string) bool {
	d, err1 := filepath.Abs(dir)
	a, err2 := filepath.Abs(p)
	if err1 != nil || err2 != nil {
		return false
	}
	if r, err := filepath.EvalSymlinks(d); err == nil {
		d = r
	}
	if r, err := filepath.EvalSymlinks(filepath.Dir(a)); err == nil {
		a = filepath.Join(r, filepath.Base(a))
	}
	rel, err := filepath.Rel(d, a)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

func loadPub(e *Env, flag string) (note.Verifier, string, error) {
	p := flag
	if p == "" {
		p = DefaultAuditPub
	}
	p = absUnder(e.Dir, p)
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) && flag == "" {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", Usagef("audit public key: %v", err)
	}
	v, err := audit.ParseVerifier(string(b))
	if err != nil {
		return nil, "", Usagef("audit public key %s: %v", p, err)
	}
	return v, p, nil
}

type proofJSON struct {
	Seq        uint64   `json:"seq,omitempty"`
	TreeSize   int64    `json:"tree_size"`
	Root       string   `json:"root"`
	OldSize    int64    `json:"old_size,omitempty"`
	OldRoot    string   `json:"old_root,omitempty"`
	Hashes     []string `json:"hashes"`
	Verified   bool     `json:"verified"`
	Checkpoint string   `json:"checkpoint"`
}

func b64(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

func b64s(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = b64(h)
	}
	return out
}

func newAuditVerifyCmd(e *Env, fl *auditFlags) *cobra.Command {
	var pub, trusted string
	var prove uint64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Prove the audit log is intact, or name the first bad event",
		Long: `Verify checks every segment of the log: sequence numbers, the SHA-256 chain,
rotation and retention records, and every signed checkpoint's Merkle root and
signature (with the public key, default .warden/audit.pub). It names the
first event that was edited, deleted, inserted, reordered or truncated, or a
forged checkpoint, and exits 1; an intact log exits 0.

--trusted checks the log still contains and extends a checkpoint you kept
(e.g. from CI) and prints the consistency proof; --prove SEQ prints and
checks the inclusion proof of one event in the latest checkpoint.`,
		Example: `  warden audit verify
  warden audit verify --json
  warden audit verify --trusted ci/last-checkpoint.note
  warden audit verify --prove 1042`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, path, err := fl.load(e)
			if err != nil {
				return err
			}
			v, pubPath, err := loadPub(e, pub)
			if err != nil {
				return err
			}
			opts := audit.VerifyOptions{Verifier: v}
			if trusted != "" {
				if v == nil {
					return Usagef("--trusted needs the public key (--pub or %s)", DefaultAuditPub)
				}
				b, err := os.ReadFile(absUnder(e.Dir, trusted))
				if err != nil {
					return Usagef("--trusted: %v", err)
				}
				opts.Trusted = string(b)
			}
			rep, err := audit.Verify(path, opts)
			if err != nil {
				if errors.Is(err, os.ErrNotExist) || strings.Contains(err.Error(), "no audit log") {
					return Usagef("%v", err)
				}
				return err
			}
			var proofs []proofJSON
			if rep.Intact() && (prove > 0 || trusted != "") {
				proofs, err = auditProofs(path, v, prove, opts.Trusted)
				if err != nil {
					return err
				}
			}
			if asJSON {
				out := struct {
					Log    string              `json:"log"`
					Key    string              `json:"public_key,omitempty"`
					Intact bool                `json:"intact"`
					Report *audit.VerifyReport `json:"report"`
					Proofs []proofJSON         `json:"proofs,omitempty"`
				}{path, pubPath, rep.Intact(), rep, proofs}
				enc := json.NewEncoder(e.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(out); err != nil {
					return err
				}
			} else {
				printVerify(e.Stdout, path, pubPath, rep, proofs)
			}
			if !rep.Intact() {
				return ErrGateFailed
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&pub, "pub", "", "public key file (default "+DefaultAuditPub+" if present)")
	cmd.Flags().StringVar(&trusted, "trusted", "", "a signed checkpoint kept earlier that the log must extend")
	cmd.Flags().Uint64Var(&prove, "prove", 0, "print and check the inclusion proof of this event in the latest checkpoint")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

// auditProofs computes and checks the inclusion proof of event seq and the
// consistency proof from a trusted checkpoint, both against the latest
// checkpoint.
func auditProofs(path string, v note.Verifier, seq uint64, trusted string) ([]proofJSON, error) {
	msg, err := os.ReadFile(path + ".checkpoint")
	if err != nil {
		return nil, Usagef("no checkpoint to prove against (%v): sign one with 'warden audit checkpoint'", err)
	}
	var latest audit.Checkpoint
	if v != nil {
		latest, err = audit.OpenCheckpoint(string(msg), v)
	} else {
		return nil, Usagef("proofs need the public key (--pub or %s)", DefaultAuditPub)
	}
	if err != nil {
		return nil, err
	}
	tree, err := audit.BuildTree(path, seq)
	if err != nil {
		return nil, err
	}
	var out []proofJSON
	if seq > 0 {
		p, err := tree.ProveInclusion(seq, latest.Size)
		if err != nil {
			return nil, Usagef("--prove %d: %v", seq, err)
		}
		err = audit.CheckInclusion(p, latest, seq, tree.Line(seq))
		out = append(out, proofJSON{Seq: seq, TreeSize: latest.Size, Root: b64(latest.Root), Hashes: b64s(p), Verified: err == nil, Checkpoint: string(msg)})
		if err != nil {
			return out, err
		}
	}
	if trusted != "" {
		old, err := audit.OpenCheckpoint(trusted, v)
		if err != nil {
			return nil, err
		}
		if old.Size > latest.Size {
			return out, nil // verify already reported the truncation
		}
		p, err := tree.ProveConsistency(old.Size, latest.Size)
		if err != nil {
			return nil, err
		}
		err = audit.CheckConsistency(p, latest, old)
		out = append(out, proofJSON{TreeSize: latest.Size, Root: b64(latest.Root), OldSize: old.Size, OldRoot: b64(old.Root), Hashes: b64s(p), Verified: err == nil, Checkpoint: string(msg)})
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

func printVerify(w io.Writer, path, pub string, rep *audit.VerifyReport, proofs []proofJSON) {
	if rep.Intact() {
		fmt.Fprintf(w, "audit log intact: %s\n", path)
	} else {
		fmt.Fprintf(w, "audit log NOT intact: %s\n", path)
	}
	fmt.Fprintf(w, "  events:      %d (seq %d..%d) in %d segment(s)\n", rep.Events, rep.FirstSeq, rep.LastSeq, len(rep.Segments))
	key := "not checked (no public key)"
	if pub != "" {
		key = "verified with " + pub
	}
	fmt.Fprintf(w, "  checkpoints: %d, last covers %d events, signatures %s\n", rep.Checkpoints, rep.LastCheckpoint, key)
	if p := rep.Problem; p != nil {
		fmt.Fprintf(w, "  FIRST BAD EVENT: %d", p.Seq)
		if p.Segment != "" {
			fmt.Fprintf(w, " (%s line %d)", p.Segment, p.Line)
		}
		fmt.Fprintf(w, "\n  problem:     %s: %s\n", p.Kind, p.Message)
	}
	for _, warn := range rep.Warnings {
		fmt.Fprintf(w, "  warning:     %s\n", warn)
	}
	for _, p := range proofs {
		ok := "verified"
		if !p.Verified {
			ok = "FAILED"
		}
		if p.Seq > 0 {
			fmt.Fprintf(w, "  inclusion proof of event %d in the checkpoint of %d events: %s\n", p.Seq, p.TreeSize, ok)
		} else {
			fmt.Fprintf(w, "  consistency proof from the trusted checkpoint of %d events to %d: %s\n", p.OldSize, p.TreeSize, ok)
		}
		for _, h := range p.Hashes {
			fmt.Fprintf(w, "    %s\n", h)
		}
	}
}

// parseWhen reads --since/--until: RFC 3339, a date (YYYY-MM-DD), or a
// duration back from now ("24h", "7d").
func parseWhen(flag, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, err := policy.ParseDuration(s); err == nil {
		return now.Add(-time.Duration(d)), nil
	}
	return time.Time{}, Usagef("--%s %q: want a time (2026-11-01T12:00:00Z), a date (2026-11-01) or a duration back from now (24h, 7d)", flag, s)
}

func newAuditShowCmd(e *Env, fl *auditFlags) *cobra.Command {
	var since, until string
	var f audit.Filter
	var kind string
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Print audit events, filtered",
		Long: `Show prints the events of the audit log (all segments), oldest first, that
match every filter given. --json prints one JSON event per line.`,
		Example: `  warden audit show --since 24h
  warden audit show --agent claude --decision deny
  warden audit show --rule secrets.aws-access-key --json
  warden audit show --session 3f2a --since 2026-11-01 --until 2026-11-02`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, path, err := fl.load(e)
			if err != nil {
				return err
			}
			now := time.Now()
			if f.Since, err = parseWhen("since", since, now); err != nil {
				return err
			}
			if f.Until, err = parseWhen("until", until, now); err != nil {
				return err
			}
			if limit < 0 {
				return Usagef("--limit must not be negative")
			}
			f.Kind = audit.Kind(kind)
			var ring []audit.Record
			bw := bufio.NewWriter(e.Stdout)
			emit := func(r audit.Record) error {
				if asJSON {
					bw.Write(r.Line)
					return bw.WriteByte('\n')
				}
				writeEventText(bw, &r.Event)
				return nil
			}
			err = audit.Read(path, audit.ReadOptions{}, func(r audit.Record) error {
				if !f.Match(&r.Event) {
					return nil
				}
				if limit > 0 {
					r.Line = append([]byte(nil), r.Line...)
					ring = append(ring, r)
					if len(ring) > limit {
						ring = ring[1:]
					}
					return nil
				}
				return emit(r)
			})
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					return Usagef("%v", err)
				}
				return fmt.Errorf("%w (run 'warden audit verify')", err)
			}
			for _, r := range ring {
				emit(r)
			}
			return bw.Flush()
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "only events at or after this time, date or duration ago (24h, 7d)")
	cmd.Flags().StringVar(&until, "until", "", "only events before this time, date or duration ago")
	cmd.Flags().StringVar(&f.Agent, "agent", "", "only this agent (claude, cursor, gemini, codex, copilot)")
	cmd.Flags().StringVar(&f.Session, "session", "", "only this agent session")
	cmd.Flags().StringVar(&f.Decision, "decision", "", "only this decision (allow, ask, deny, pass, fail)")
	cmd.Flags().StringVar(&f.Rule, "rule", "", "only events where this rule decided or matched")
	cmd.Flags().StringVar(&kind, "kind", "", "only this kind (agent.action, scan.gate, checkpoint, rotation...)")
	cmd.Flags().IntVar(&limit, "limit", 0, "only the last N matching events")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON lines")
	return cmd
}

// writeEventText prints one event on one line:
// time  #seq  kind  decision  agent/session  [rules]  summary — reasons
func writeEventText(w io.Writer, ev *audit.Event) {
	who := ev.Actor.Agent
	if ev.Actor.Session != "" {
		who += "/" + ev.Actor.Session
	}
	if who == "" {
		who = ev.Actor.User
	}
	if who == "" {
		who = "-"
	}
	dec := ev.Decision
	if dec == "" {
		dec = "-"
	}
	rules := ""
	if len(ev.Rules) > 0 {
		rules = " [" + strings.Join(ev.Rules, ",") + "]"
	}
	if len(ev.Findings) > 0 {
		rules += fmt.Sprintf(" (%d findings)", len(ev.Findings))
	}
	line := fmt.Sprintf("%s  #%-6d %-12s %-5s %s%s  %s", ev.Time.Format(time.RFC3339), ev.Seq, ev.Kind, dec, who, rules, ev.Summary)
	if len(ev.Reasons) > 0 {
		line += " — " + strings.Join(ev.Reasons, "; ")
	}
	fmt.Fprintln(w, strings.TrimRight(line, " "))
}

func newAuditExportCmd(e *Env, fl *auditFlags) *cobra.Command {
	var cursorPath, out string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Send new audit events to a SIEM as JSON lines, each exactly once",
		Long: `Export writes the events added since the last export (remembered in the
cursor file) as JSON lines, byte for byte as in the log, to stdout or --out
(appended). The cursor is saved only after the output was written, so a
failed export is simply run again; a log rewritten under the cursor is
refused. Use one cursor per destination.`,
		Example: `  warden audit export >> /var/log/warden/audit-siem.jsonl
  warden audit export --cursor .warden/audit/splunk.cursor | splunk-forwarder
  warden audit export --out siem.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, path, err := fl.load(e)
			if err != nil {
				return err
			}
			cp := cursorPath
			if cp == "" {
				cp = path + ".export-cursor"
			} else {
				cp = absUnder(e.Dir, cp)
			}
			cur, err := audit.ReadCursor(cp)
			if err != nil {
				return &UsageError{Err: err}
			}
			w := e.Stdout
			var f *os.File
			if out != "" {
				f, err = os.OpenFile(absUnder(e.Dir, out), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
				if err != nil {
					return Usagef("--out: %v", err)
				}
				defer f.Close()
				w = f
			}
			next, n, err := audit.Export(path, cur, w)
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					return Usagef("%v", err)
				}
				return err
			}
			if f != nil {
				if err := f.Sync(); err != nil {
					return fmt.Errorf("--out: %w", err)
				}
			}
			if err := audit.WriteCursor(cp, next); err != nil {
				return err
			}
			fmt.Fprintf(e.Stderr, "exported %d event(s); cursor at event %d (%s)\n", n, next.Seq, cp)
			return nil
		},
	}
	cmd.Flags().StringVar(&cursorPath, "cursor", "", "cursor file (default: <log>.export-cursor)")
	cmd.Flags().StringVar(&out, "out", "", "append to this file instead of stdout")
	return cmd
}

func newAuditCheckpointCmd(e *Env, fl *auditFlags) *cobra.Command {
	var keyPath string
	cmd := &cobra.Command{
		Use:   "checkpoint",
		Short: "Sign a checkpoint of the audit log now",
		Long: `Checkpoint signs the Merkle root of every event so far with the audit key and
appends it to the log (and to <log>.checkpoint). Run it from cron or CI and
keep the printed note: 'warden audit verify --trusted' proves later that the
log still extends it.`,
		Example: `  warden audit checkpoint > checkpoints/$(date +%F).note`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eff, path, err := fl.load(e)
			if err != nil {
				return err
			}
			signer, err := auditSigner(e, eff, e.Dir, keyPath)
			if err != nil {
				return err
			}
			if signer == nil {
				return Usagef("no signing key at %s: make one with 'warden audit keygen'", auditKeyPath(e, eff, e.Dir, keyPath))
			}
			opts := audit.OptionsFromPolicy(eff.Audit, signer)
			l, err := audit.Open(path, opts)
			if err != nil {
				return err
			}
			defer l.Close()
			if _, err := l.Checkpoint(cmd.Context()); err != nil {
				return err
			}
			msg, err := os.ReadFile(path + ".checkpoint")
			if err != nil {
				return err
			}
			_, err = e.Stdout.Write(msg)
			return err
		},
	}
	cmd.Flags().StringVar(&keyPath, "key", "", "private key path (default: audit.key from the policy)")
	return cmd
}

// gateRun is one run of the scan gate, as recordGateRun writes it.
type gateRun struct {
	Root     string
	Scope    string // audit.ScopeFull, ScopeDiff, ScopeStaged, "stdin", "history"
	Engines  []string
	Files    int
	Duration time.Duration
	Findings []finding.Finding
	// Suppressed holds the fingerprints accepted by an exception or the
	// baseline (recorded, flagged, not counted as open).
	Suppressed map[string]bool
	Failed     bool
	Repo       audit.Repo // name (default: the root's base name), commit, ref, release tag
}

// recordGateRun appends a scan.gate event for a gate run to the audit log
// the policy configures. The scan command calls it after deciding; an error
// means the run could not be recorded (the caller fails closed: exit 3).
func recordGateRun(ctx context.Context, e *Env, eff *policy.Effective, g gateRun) (uint64, error) {
	l, err := openAuditLog(e, eff, g.Root)
	if err != nil {
		return 0, err
	}
	defer l.Close()
	refs := audit.Refs(g.Findings)
	blocking := 0
	seen := map[string]bool{}
	var rules []string
	for i := range refs {
		refs[i].Suppressed = g.Suppressed[refs[i].Fingerprint]
		if !seen[refs[i].Rule] {
			seen[refs[i].Rule] = true
			rules = append(rules, refs[i].Rule)
		}
		if !refs[i].Suppressed && refs[i].Severity >= eff.Gates.FailOn && eff.Gates.FailOn.Valid() {
			blocking++
		}
	}
	sort.Strings(rules)
	repo := g.Repo
	if repo.Name == "" {
		repo.Name = filepath.Base(g.Root)
	}
	decision := audit.DecisionPass
	if g.Failed {
		decision = audit.DecisionFail
	}
	ev := audit.Event{
		Kind:         audit.KindScanGate,
		Actor:        auditActor(e),
		Repo:         repo,
		Summary:      fmt.Sprintf("scan %s: %d finding(s), %d blocking, %d file(s)", g.Scope, len(refs), blocking, g.Files),
		Scan:         &audit.Scan{Scope: g.Scope, Engines: g.Engines, Files: g.Files, DurationMS: g.Duration.Milliseconds()},
		Rules:        rules,
		Findings:     refs,
		Decision:     decision,
		PolicySHA256: eff.SHA256,
	}
	fitGateEvent(&ev)
	// Sealed now: the command reports the event's sequence number, and a
	// gate run ends a unit of work worth chaining at once.
	return l.AppendSealed(ctx, ev)
}

// fitGateEvent keeps a scan.gate event under audit.MaxEventSize: a scan
// with hundreds of findings (a large lockfile's vulnerabilities) must still
// be recorded, not fail. When the references do not all fit, the most
// severe are kept (stable within a severity) and the summary says how many
// were left out; the scan's own report still lists every finding.
func fitGateEvent(ev *audit.Event) {
	// Room for what Append adds (schema, seq, time, hashes) and slack.
	const limit = audit.MaxEventSize - 2048
	refs := ev.Findings
	ev.Findings = nil
	b, _ := json.Marshal(ev)
	size := len(b) + len(`,"findings":[]`)
	for _, r := range refs {
		rb, _ := json.Marshal(r)
		size += len(rb) + 1
	}
	if size <= limit {
		ev.Findings = refs
		return
	}
	sorted := slices.Clone(refs)
	slices.SortStableFunc(sorted, func(a, b audit.FindingRef) int { return cmp.Compare(b.Severity, a.Severity) })
	base := ev.Summary
	note := func(n int) string {
		return fmt.Sprintf("%s; %d of %d findings recorded, the most severe (event size limit)", base, n, len(refs))
	}
	ev.Summary = note(len(refs)) // as long as the final summary, or longer
	b, _ = json.Marshal(ev)
	size = len(b) + len(`,"findings":[]`)
	n := 0
	for _, r := range sorted {
		rb, _ := json.Marshal(r)
		if size+len(rb)+1 > limit {
			break
		}
		size += len(rb) + 1
		n++
	}
	ev.Summary = note(n)
	ev.Findings = sorted[:n]
}
