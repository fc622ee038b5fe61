package attest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-sev-guest/abi"
	sevtest "github.com/google/go-sev-guest/testing"
	sevdata "github.com/google/go-sev-guest/verify/testdata"
	"github.com/google/go-sev-guest/verify/trust"
)

var snpNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// snpFixture is a report signed by go-sev-guest's test-only AMD chain
// (fake ARK/ASK/VCEK), with its certificate table appended, as a guest's
// extended report returns it.
type snpFixture struct {
	signer      *sevtest.AmdSigner
	measurement []byte
}

func newSNPFixture(t *testing.T) *snpFixture {
	t.Helper()
	signer, err := sevtest.DefaultTestOnlyCertChain(sevtest.GetProductName(), snpNow.Add(-24*time.Hour))
	if err != nil {
		t.Fatalf("test-only AMD chain: %v", err)
	}
	return &snpFixture{signer: signer, measurement: bytes.Repeat([]byte{0xab}, 48)}
}

type snpReportOpts struct {
	reportData  []byte
	measurement []byte
	debug       bool
	corrupt     bool // flip a byte after signing
	noCerts     bool
}

func (f *snpFixture) report(t *testing.T, o snpReportOpts) []byte {
	t.Helper()
	r := sevtest.CreateRawReport(&sevtest.TestReportOptions{ReportData: o.reportData, Version: 2})
	rep := r[:abi.ReportSize]
	binary.LittleEndian.PutUint64(rep[0x08:0x10], abi.SnpPolicyToBytes(abi.SnpPolicy{Debug: o.debug, SMT: true}))
	copy(rep[0x90:0xC0], o.measurement)
	sr, ss, err := f.signer.Sign(abi.SignedComponent(rep))
	if err != nil {
		t.Fatal(err)
	}
	if err := abi.SetSignature(sr, ss, rep); err != nil {
		t.Fatal(err)
	}
	if o.corrupt {
		rep[0x90] ^= 1
	}
	out := append([]byte(nil), rep...)
	if !o.noCerts {
		certs, err := f.signer.CertTableBytes()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, certs...)
	}
	return out
}

func (f *snpFixture) policy() Policy {
	return Policy{SNP: SNPPolicy{
		Measurements: [][]byte{bytes.Repeat([]byte{0x01}, 48), f.measurement},
		TrustedRoots: []*x509.Certificate{f.signer.Ark, f.signer.Ask},
	}}
}

func TestVerifySNP(t *testing.T) {
	f := newSNPFixture(t)
	binding := sha256.Sum256([]byte("server TLS public key"))
	other := sha256.Sum256([]byte("someone else's key"))
	rd := func(b [32]byte) []byte { return append(b[:], make([]byte, 32)...) }

	tests := []struct {
		name    string
		raw     []byte
		pol     func(Policy) Policy
		binding []byte
		wantErr string // substring; "" = verifies
	}{
		{name: "good", raw: f.report(t, snpReportOpts{reportData: rd(binding), measurement: f.measurement})},
		{name: "tampered report", raw: f.report(t, snpReportOpts{reportData: rd(binding), measurement: f.measurement, corrupt: true}), wantErr: "signature"},
		{name: "measurement not allowed", raw: f.report(t, snpReportOpts{reportData: rd(binding), measurement: bytes.Repeat([]byte{0xcd}, 48)}), wantErr: "not in the allowlist"},
		{name: "bound to another key", raw: f.report(t, snpReportOpts{reportData: rd(other), measurement: f.measurement}), wantErr: "binding"},
		{name: "debug guest refused", raw: f.report(t, snpReportOpts{reportData: rd(binding), measurement: f.measurement, debug: true}), wantErr: "guest policy"},
		{name: "debug guest allowed by policy", raw: f.report(t, snpReportOpts{reportData: rd(binding), measurement: f.measurement, debug: true}),
			pol: func(p Policy) Policy { p.SNP.AllowDebug = true; return p }},
		{name: "TCB below minimum", raw: f.report(t, snpReportOpts{reportData: rd(binding), measurement: f.measurement}),
			pol: func(p Policy) Policy { p.SNP.MinimumTCB = TCB{SNP: 8}; return p }, wantErr: "TCB"},
		{name: "untrusted roots (AMD's embedded ones)", raw: f.report(t, snpReportOpts{reportData: rd(binding), measurement: f.measurement}),
			pol: func(p Policy) Policy { p.SNP.TrustedRoots = nil; return p }, wantErr: "certificate chain"},
		{name: "no certificates and no getter", raw: f.report(t, snpReportOpts{reportData: rd(binding), measurement: f.measurement, noCerts: true}), wantErr: "certificate chain"},
		{name: "empty allowlist", raw: f.report(t, snpReportOpts{reportData: rd(binding), measurement: f.measurement}),
			pol: func(p Policy) Policy { p.SNP.Measurements = nil; return p }, wantErr: "allows no measurement"},
		{name: "truncated", raw: make([]byte, 100), wantErr: "at least"},
		{name: "short binding", raw: f.report(t, snpReportOpts{reportData: rd(binding), measurement: f.measurement}), binding: []byte{1, 2}, wantErr: "binding must be"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pol := f.policy()
			if tc.pol != nil {
				pol = tc.pol(pol)
			}
			b := binding[:]
			if tc.binding != nil {
				b = tc.binding
			}
			res, err := Verify(context.Background(), Evidence{Kind: KindSEVSNP, Raw: tc.raw}, pol, b, snpNow)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if res.Kind != KindSEVSNP || res.Measurement != strings.Repeat("ab", 48) {
					t.Errorf("result = %+v", res)
				}
				for _, c := range []string{"signature", "cert-chain", "measurement", "binding", "tcb"} {
					if !contains(res.Checks, c) {
						t.Errorf("check %q missing from %v", c, res.Checks)
					}
				}
				return
			}
			if err == nil {
				t.Fatalf("Verify succeeded, want error containing %q", tc.wantErr)
			}
			if !errors.Is(err, ErrUnverified) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Verify error = %v, want ErrUnverified containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestVerifySNPRealReport verifies the real Milan report go-sev-guest ships
// as a test vector (signed by a real AMD VCEK), the VCEK and ASK/ARK served
// by an offline getter, checked against AMD's roots embedded in the library.
func TestVerifySNPRealReport(t *testing.T) {
	getter := sevtest.SimpleGetter(map[string][]byte{
		"https://kdsintf.amd.com/vcek/v1/Milan/cert_chain": trust.AskArkMilanVcekBytes,
		"https://kdsintf.amd.com/vcek/v1/Milan/3ac3fe21e13fb0990eb28a802e3fb6a29483a6b0753590c951bdd3b8e53786184ca39e359669a2b76a1936776b564ea464cdce40c05f63c9b610c5068b006b5d?blSPL=2&teeSPL=0&snpSPL=5&ucodeSPL=68": sevdata.VcekBytes,
	})
	rep, err := abi.ReportToProto(sevdata.AttestationBytes)
	if err != nil {
		t.Fatal(err)
	}
	binding := rep.GetReportData()[:32] // the vector's nonce: 01 02 03 04 05 00...
	pol := Policy{SNP: SNPPolicy{Measurements: [][]byte{rep.GetMeasurement()}, Getter: getter, AllowDebug: true}}
	res, err := Verify(context.Background(), Evidence{Kind: KindSEVSNP, Raw: sevdata.AttestationBytes}, pol, binding, snpNow)
	if err != nil {
		t.Fatalf("real AMD report: %v", err)
	}
	if !contains(res.Checks, "cert-chain") {
		t.Errorf("checks = %v", res.Checks)
	}
	// The same genuine report, bound to another TLS key, is refused.
	other := sha256.Sum256([]byte("another key"))
	if _, err := Verify(context.Background(), Evidence{Kind: KindSEVSNP, Raw: sevdata.AttestationBytes}, pol, other[:], snpNow); err == nil || !strings.Contains(err.Error(), "binding") {
		t.Errorf("wrong binding: err = %v", err)
	}
	// Without the getter the VCEK is missing: fail closed.
	pol.SNP.Getter = nil
	if _, err := Verify(context.Background(), Evidence{Kind: KindSEVSNP, Raw: sevdata.AttestationBytes}, pol, binding, snpNow); err == nil {
		t.Error("verified without a VCEK")
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
