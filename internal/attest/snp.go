package attest

import (
	"context"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/google/go-sev-guest/abi"
	"github.com/google/go-sev-guest/kds"
	"github.com/google/go-sev-guest/validate"
	"github.com/google/go-sev-guest/verify"
	"github.com/google/go-sev-guest/verify/trust"
)

// SNPPolicy configures AMD SEV-SNP verification.
type SNPPolicy struct {
	// Measurements is the allowlist of launch MEASUREMENT values (48 bytes).
	Measurements [][]byte
	// MinimumTCB is the component-wise minimum of the report's TCB.
	MinimumTCB TCB
	// AllowDebug accepts guests whose policy allows debugging (the host can
	// then read guest memory). Off by default.
	AllowDebug bool
	// Getter fetches the VCEK and ASK/ARK from AMD KDS (or a cache) when
	// the evidence does not carry its certificate table. Nil: the evidence
	// must carry them.
	Getter CertGetter
	// TrustedRoots replaces AMD's embedded ARK/ASK (tests, private roots).
	// Nil: the AMD roots embedded in go-sev-guest.
	TrustedRoots []*x509.Certificate
	// CheckRevocations fetches AMD's CRL through Getter.
	CheckRevocations bool
}

// TCB is an SEV-SNP TCB version, component by component.
type TCB struct {
	Bootloader, TEE, SNP, Microcode uint8
}

func verifySNP(ctx context.Context, raw []byte, pol SNPPolicy, binding []byte, now time.Time) (Result, error) {
	if len(pol.Measurements) == 0 {
		return Result{}, failf(KindSEVSNP, CheckPolicy, "policy allows no measurement")
	}
	if len(raw) < abi.ReportSize {
		return Result{}, failf(KindSEVSNP, CheckEvidence, "report is %d bytes, want at least %d", len(raw), abi.ReportSize)
	}
	var err error
	att, err := abi.ReportCertsToProto(raw)
	if err != nil {
		return Result{}, failf(KindSEVSNP, CheckEvidence, "parse report: %v", err)
	}
	opts := &verify.Options{
		Now:                 now,
		DisableCertFetching: pol.Getter == nil,
		CheckRevocations:    pol.CheckRevocations && pol.Getter != nil,
	}
	if pol.Getter != nil {
		opts.Getter = pol.Getter
	}
	if len(pol.TrustedRoots) > 0 {
		roots, err := snpRoots(pol.TrustedRoots)
		if err != nil {
			return Result{}, err
		}
		opts.TrustedRoots = roots
	}
	if err := verify.SnpAttestationContext(ctx, att, opts); err != nil {
		return Result{}, failf(KindSEVSNP, CheckSignature, "signature or certificate chain: %v", err)
	}
	res := Result{Checks: []string{"signature", "cert-chain"}}
	rep := att.GetReport()
	if !inAllowlist(rep.GetMeasurement(), pol.Measurements) {
		return Result{}, failf(KindSEVSNP, CheckMeasurement, "measurement %s is not in the allowlist", hex.EncodeToString(rep.GetMeasurement()))
	}
	res.Measurement = hex.EncodeToString(rep.GetMeasurement())
	res.Checks = append(res.Checks, "measurement")
	if err := checkBinding(KindSEVSNP, rep.GetReportData(), binding); err != nil {
		return Result{}, err
	}
	res.Checks = append(res.Checks, "binding")
	vopts := &validate.Options{
		// The maximum acceptable guest policy: SMT and CXL allowed, debug
		// only if the policy says so, migration agents never; no extra
		// restriction required.
		GuestPolicy: abi.SnpPolicy{Debug: pol.AllowDebug, SMT: true, CXLAllowed: true},
		MinimumTCB: kds.TCBParts{BlSpl: pol.MinimumTCB.Bootloader, TeeSpl: pol.MinimumTCB.TEE,
			SnpSpl: pol.MinimumTCB.SNP, UcodeSpl: pol.MinimumTCB.Microcode},
		MinimumLaunchTCB: kds.TCBParts{BlSpl: pol.MinimumTCB.Bootloader, TeeSpl: pol.MinimumTCB.TEE,
			SnpSpl: pol.MinimumTCB.SNP, UcodeSpl: pol.MinimumTCB.Microcode},
		PermitProvisionalFirmware: true,
	}
	if err := validate.SnpAttestation(att, vopts); err != nil {
		return Result{}, failf(KindSEVSNP, CheckTCB, "guest policy or TCB: %v", err)
	}
	res.Checks = append(res.Checks, "guest-policy", "tcb")
	return res, nil
}

// snpRoots groups caller-given ARK/ASK certificates by product line: a
// self-signed certificate is an ARK, another an ASK (or ASVK) it signed.
func snpRoots(certs []*x509.Certificate) (map[string][]*trust.AMDRootCerts, error) {
	out := map[string][]*trust.AMDRootCerts{}
	for _, ark := range certs {
		if ark.CheckSignatureFrom(ark) != nil {
			continue
		}
		pc := &trust.ProductCerts{Ark: ark}
		for _, c := range certs {
			if c == ark || c.CheckSignatureFrom(ark) != nil {
				continue
			}
			if pc.Ask == nil {
				pc.Ask = c
			} else if pc.Asvk == nil {
				pc.Asvk = c
			}
		}
		if pc.Ask == nil {
			return nil, failf(KindSEVSNP, CheckPolicy, "trusted root %q has no ASK among the trusted certificates", ark.Subject.CommonName)
		}
		line := productLineFromCN(ark.Subject.CommonName)
		out[line] = append(out[line], &trust.AMDRootCerts{Product: line, ProductLine: line, ProductCerts: pc})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s: no self-signed ARK among the trusted roots", ErrUnverified, KindSEVSNP)
	}
	return out, nil
}

// productLineFromCN reads "ARK-Milan" as "Milan".
func productLineFromCN(cn string) string {
	if len(cn) > 4 && cn[:4] == "ARK-" {
		return cn[4:]
	}
	return cn
}
