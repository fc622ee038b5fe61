// Package attest verifies confidential-computing attestation evidence for
// the model gateway: AMD SEV-SNP reports, Intel TDX quotes and NVIDIA GPU
// attestation tokens (EAT/JWT).
//
// It is a core package: it never reaches the network. Certificates that an
// attestation does not carry (AMD KDS, Intel PCS collateral) come through a
// CertGetter the caller provides, and NVIDIA's signing keys through a
// KeySet; with neither, verification uses only what the evidence carries and
// the vendors' roots embedded in the libraries.
//
// Every failure is an error: a caller must treat any non-nil error as "do
// not send code to this upstream". Result says what was verified.
package attest

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Evidence kinds.
const (
	KindSEVSNP    = "sev-snp"
	KindTDX       = "tdx"
	KindNVIDIAEAT = "nvidia-eat"
)

// Evidence is what a confidential upstream presents.
type Evidence struct {
	// Kind is KindSEVSNP, KindTDX or KindNVIDIAEAT.
	Kind string
	// Raw is the evidence itself:
	//   sev-snp:    the 1184-byte attestation report, optionally followed by
	//               the extended report's certificate table (VCEK/ASK/ARK),
	//               as returned by the guest's GetExtendedReport;
	//   tdx:        the quote (v4 or v5) as returned by the guest;
	//   nvidia-eat: the compact JWS of the attestation token.
	Raw []byte
}

// CertGetter fetches a URL's body (AMD KDS certificates and CRLs, Intel PCS
// collateral). It has the shape of go-sev-guest's trust.HTTPSGetter so an
// HTTP client, a cache on disk or a test map can serve it. It is the only
// way verification reaches beyond the evidence.
type CertGetter interface {
	Get(url string) ([]byte, error)
}

// Policy says what evidence is acceptable. A zero Policy accepts nothing:
// each kind needs at least one allowed measurement.
type Policy struct {
	SNP    SNPPolicy
	TDX    TDXPolicy
	NVIDIA NVIDIAPolicy
}

// Result says what was verified.
type Result struct {
	Kind string
	// Measurement is the hex of the launch measurement that matched the
	// allowlist (SNP MEASUREMENT, TDX MRTD, NVIDIA measurement claim).
	Measurement string
	// Checks names each check that passed, in order, e.g. "signature",
	// "cert-chain", "measurement", "binding", "tcb".
	Checks []string
	// Issuer and Subject are set for token evidence.
	Issuer, Subject string
	// VerifiedAt is the time given to Verify.
	VerifiedAt time.Time
}

// ErrUnverified wraps every verification failure, so callers can tell "the
// evidence is bad" (refuse and audit) from a programming error.
var ErrUnverified = errors.New("attestation not verified")

func failf(kind, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrUnverified, kind, fmt.Sprintf(format, args...))
}

// Verify checks ev against pol. binding is the SHA-256 of the TLS public key
// the gateway sees on its connection to the upstream; the evidence must
// commit to it (report data prefix for SNP and TDX, the nonce claim for a
// token), so the gateway knows it talks to the attested machine. now is the
// time certificates and tokens are checked at.
func Verify(ctx context.Context, ev Evidence, pol Policy, binding []byte, now time.Time) (Result, error) {
	if len(binding) < 16 {
		return Result{}, failf(ev.Kind, "binding must be at least 16 bytes (the SHA-256 of the server's TLS public key), got %d", len(binding))
	}
	if len(ev.Raw) == 0 {
		return Result{}, failf(ev.Kind, "empty evidence")
	}
	if now.IsZero() {
		return Result{}, failf(ev.Kind, "verification time is zero")
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	var (
		res Result
		err error
	)
	switch ev.Kind {
	case KindSEVSNP:
		res, err = verifySNP(ctx, ev.Raw, pol.SNP, binding, now)
	case KindTDX:
		res, err = verifyTDX(ctx, ev.Raw, pol.TDX, binding, now)
	case KindNVIDIAEAT:
		res, err = verifyNVIDIA(ctx, ev.Raw, pol.NVIDIA, binding, now)
	default:
		return Result{}, failf(ev.Kind, "unknown evidence kind %q (want %s, %s or %s)", ev.Kind, KindSEVSNP, KindTDX, KindNVIDIAEAT)
	}
	if err != nil {
		return Result{}, err
	}
	res.Kind = ev.Kind
	res.VerifiedAt = now
	return res, nil
}

// inAllowlist reports whether m equals one of allowed.
func inAllowlist(m []byte, allowed [][]byte) bool {
	for _, a := range allowed {
		if len(a) > 0 && bytes.Equal(a, m) {
			return true
		}
	}
	return false
}

// ParseHex decodes a measurement written in a policy (hex, optional 0x).
func ParseHex(s string) ([]byte, error) {
	if len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X") {
		s = s[2:]
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("measurement %q is not hex: %w", s, err)
	}
	return b, nil
}

// checkBinding requires reportData to start with binding.
func checkBinding(kind string, reportData, binding []byte) error {
	if len(reportData) < len(binding) || !bytes.Equal(reportData[:len(binding)], binding) {
		return failf(kind, "report data does not start with the TLS key binding: the evidence is not bound to this connection")
	}
	return nil
}
