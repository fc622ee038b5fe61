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
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	tdxtrust "github.com/google/go-tdx-guest/verify/trust"

	// Before go-tdx-guest's init points the libraries' logger at stdout.
	_ "github.com/wardenhq/warden/internal/attest/quietlog"
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

// Checks a verification can fail, as Failure.Check reports them: stable
// names for metrics and audit reasons.
const (
	// CheckInput: the caller passed something unusable (short binding,
	// zero time).
	CheckInput = "input"
	// CheckPolicy: the policy cannot accept anything of this kind (empty
	// allowlist, no key set, no issuer).
	CheckPolicy = "policy"
	// CheckEvidence: the evidence is empty, truncated or not of its kind.
	CheckEvidence = "evidence"
	// CheckSignature: a signature or certificate chain does not verify.
	CheckSignature = "signature"
	// CheckMeasurement: a measurement is not in the allowlist.
	CheckMeasurement = "measurement"
	// CheckTCB: the platform's TCB, guest policy or TD attributes are not
	// acceptable (too old, debug).
	CheckTCB = "tcb"
	// CheckBinding: the evidence is not bound to the TLS key and nonce.
	CheckBinding = "binding"
	// CheckExpired: a token is expired or too old.
	CheckExpired = "expired"
	// CheckResult: the verifier's own verdict claim is not true.
	CheckResult = "result"
)

// Failure is the error every verification failure is: it wraps
// ErrUnverified and names the check that failed.
type Failure struct {
	Kind  string
	Check string
	msg   string
}

func (f *Failure) Error() string {
	return fmt.Sprintf("%s: %s: %s", ErrUnverified, f.Kind, f.msg)
}

// Unwrap makes errors.Is(err, ErrUnverified) hold.
func (f *Failure) Unwrap() error { return ErrUnverified }

// CheckOf returns the check a verification error failed ("signature",
// "measurement", ...), or "" when err is not a Failure.
func CheckOf(err error) string {
	var f *Failure
	if errors.As(err, &f) {
		return f.Check
	}
	return ""
}

func failf(kind, check, format string, args ...any) error {
	return &Failure{Kind: kind, Check: check, msg: fmt.Sprintf(format, args...)}
}

// tokenCheck classifies a JWT parse error.
func tokenCheck(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired), errors.Is(err, jwt.ErrTokenUsedBeforeIssued), errors.Is(err, jwt.ErrTokenNotValidYet):
		return CheckExpired
	case errors.Is(err, jwt.ErrTokenMalformed):
		return CheckEvidence
	case errors.Is(err, jwt.ErrTokenInvalidIssuer), errors.Is(err, jwt.ErrTokenInvalidAudience):
		return CheckPolicy
	}
	return CheckSignature
}

// tdxCheck classifies a go-tdx-guest verification error: a TCB level or
// QE identity status the collateral does not accept is a TCB failure;
// collateral that could not be had (a getter error, a missing issuer
// chain) is missing evidence; the rest are signatures and chains.
func tdxCheck(err error) string {
	if err == nil {
		return CheckSignature
	}
	msg := err.Error()
	var recreate *tdxtrust.AttestationRecreationErr
	switch {
	case strings.Contains(msg, "TCB Status") || strings.Contains(msg, "no matching TCB level"):
		return CheckTCB
	case strings.Contains(msg, "has expired"): // collateral past its nextUpdate
		return CheckExpired
	case errors.As(err, &recreate) || strings.Contains(msg, "unable to receive") || strings.Contains(msg, "could not receive"):
		return CheckEvidence
	}
	return CheckSignature
}

// Verify checks ev against pol. binding is the SHA-256 of the TLS public key
// the gateway sees on its connection to the upstream; the evidence must
// commit to it (report data prefix for SNP and TDX, the nonce claim for a
// token), so the gateway knows it talks to the attested machine. now is the
// time certificates and tokens are checked at.
func Verify(ctx context.Context, ev Evidence, pol Policy, binding []byte, now time.Time) (Result, error) {
	if len(binding) < 16 {
		return Result{}, failf(ev.Kind, CheckInput, "binding must be at least 16 bytes (the SHA-256 of the server's TLS public key), got %d", len(binding))
	}
	if len(ev.Raw) == 0 {
		return Result{}, failf(ev.Kind, CheckEvidence, "empty evidence")
	}
	if now.IsZero() {
		return Result{}, failf(ev.Kind, CheckInput, "verification time is zero")
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
		return Result{}, failf(ev.Kind, CheckEvidence, "unknown evidence kind %q (want %s, %s or %s)", ev.Kind, KindSEVSNP, KindTDX, KindNVIDIAEAT)
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
		return failf(kind, CheckBinding, "report data does not start with the TLS key binding: the evidence is not bound to this connection")
	}
	return nil
}
