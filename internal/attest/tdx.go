package attest

import (
	"context"
	"crypto/x509"
	"encoding/hex"
	"time"

	tdxabi "github.com/google/go-tdx-guest/abi"
	tdxpb "github.com/google/go-tdx-guest/proto/tdx"
	tdxvalidate "github.com/google/go-tdx-guest/validate"
	tdxverify "github.com/google/go-tdx-guest/verify"
)

// CollateralGetter fetches Intel PCS collateral (TCB info, QE identity,
// CRLs). Intel returns issuer chains in response headers, so the headers
// are part of the answer; the shape is go-tdx-guest's trust.HTTPSGetter.
type CollateralGetter interface {
	Get(url string) (map[string][]string, []byte, error)
}

// TDXPolicy configures Intel TDX verification.
type TDXPolicy struct {
	// MRTDs is the allowlist of MRTD values (48 bytes): the measurement of
	// the TD's initial contents (firmware).
	MRTDs [][]byte
	// RTMRs, if set, pins runtime measurement registers: RTMRs[i] is the
	// allowlist for RTMR i (empty = not checked).
	RTMRs [4][][]byte
	// MinimumTeeTCBSVN is the component-wise minimum TEE_TCB_SVN (16 bytes).
	MinimumTeeTCBSVN []byte
	// AllowDebug accepts TDs with the DEBUG attribute. Off by default.
	AllowDebug bool
	// Getter fetches PCS collateral and CRLs; with it, the quote's TCB is
	// checked against Intel's TCB info and QE identity, and revocation is
	// checked. Nil: only the quote's signature and its PCK chain (to the
	// Intel SGX root embedded in go-tdx-guest) are verified.
	Getter CollateralGetter
	// TrustedRoots replaces Intel's embedded root (tests, private roots).
	TrustedRoots []*x509.Certificate
	// SkipRevocation does not check the PCK and root CRLs even with a
	// Getter. Only for collateral re-signed under a test root, whose
	// single root CRL cannot be signed by both roots; never in production.
	SkipRevocation bool
}

type tdQuote interface {
	GetTdQuoteBody() *tdxpb.TDQuoteBody
}

func verifyTDX(_ context.Context, raw []byte, pol TDXPolicy, binding []byte, now time.Time) (Result, error) {
	const kind = KindTDX
	if len(pol.MRTDs) == 0 {
		return Result{}, failf(kind, CheckPolicy, "policy allows no MRTD")
	}
	q, err := tdxabi.QuoteToProto(raw)
	if err != nil {
		return Result{}, failf(kind, CheckEvidence, "parse quote: %v", err)
	}
	quote, ok := q.(tdQuote)
	if !ok || quote.GetTdQuoteBody() == nil {
		return Result{}, failf(kind, CheckEvidence, "unsupported quote format %T", q)
	}
	opts := &tdxverify.Options{Now: now}
	if pol.Getter != nil {
		opts.Getter = pol.Getter
		opts.GetCollateral = true
		opts.CheckRevocations = !pol.SkipRevocation
	}
	if len(pol.TrustedRoots) > 0 {
		opts.TrustedRoots = x509.NewCertPool()
		for _, c := range pol.TrustedRoots {
			opts.TrustedRoots.AddCert(c)
		}
	}
	if err := tdxverify.TdxQuote(q, opts); err != nil {
		return Result{}, failf(kind, tdxCheck(err), "signature or certificate chain: %v", err)
	}
	res := Result{Checks: []string{"signature", "cert-chain"}}
	if pol.Getter != nil {
		res.Checks = append(res.Checks, "collateral")
		if !pol.SkipRevocation {
			res.Checks = append(res.Checks, "revocation")
		}
	}
	body := quote.GetTdQuoteBody()
	if !inAllowlist(body.GetMrTd(), pol.MRTDs) {
		return Result{}, failf(kind, CheckMeasurement, "MRTD %s is not in the allowlist", hex.EncodeToString(body.GetMrTd()))
	}
	res.Measurement = hex.EncodeToString(body.GetMrTd())
	res.Checks = append(res.Checks, "measurement")
	rtmrs := body.GetRtmrs()
	for i, allowed := range pol.RTMRs {
		if len(allowed) == 0 {
			continue
		}
		if i >= len(rtmrs) || !inAllowlist(rtmrs[i], allowed) {
			return Result{}, failf(kind, CheckMeasurement, "RTMR%d is not in the allowlist", i)
		}
		res.Checks = append(res.Checks, "rtmr"+string(rune('0'+i)))
	}
	if err := checkBinding(kind, body.GetReportData(), binding); err != nil {
		return Result{}, err
	}
	res.Checks = append(res.Checks, "binding")
	if attrs := body.GetTdAttributes(); len(attrs) == 0 || (attrs[0]&1 != 0 && !pol.AllowDebug) {
		return Result{}, failf(kind, CheckTCB, "TD has the DEBUG attribute (the host can read its memory)")
	}
	res.Checks = append(res.Checks, "attributes")
	if len(pol.MinimumTeeTCBSVN) > 0 {
		if len(pol.MinimumTeeTCBSVN) != 16 {
			return Result{}, failf(kind, CheckPolicy, "minimum TEE_TCB_SVN must be 16 bytes, got %d", len(pol.MinimumTeeTCBSVN))
		}
		vopts := &tdxvalidate.Options{TdQuoteBodyOptions: tdxvalidate.TdQuoteBodyOptions{MinimumTeeTcbSvn: pol.MinimumTeeTCBSVN}}
		if err := tdxvalidate.TdxQuote(q, vopts); err != nil {
			return Result{}, failf(kind, CheckTCB, "TCB: %v", err)
		}
		res.Checks = append(res.Checks, "tcb")
	}
	return res, nil
}
