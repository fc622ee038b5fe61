package attest_test

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"net/url"
	"slices"
	"testing"
	"time"

	tdxtest "github.com/google/go-tdx-guest/testing"

	"github.com/wardenhq/warden/internal/attest"
	"github.com/wardenhq/warden/internal/attest/attesttest"
)

// TestVerifyTDXMadeQuote: a quote made by attesttest (test PKI mirroring
// Intel's, PCS collateral signed by it) verifies with full collateral and
// revocation checks offline, bound to the REPORT_DATA it was made with.
func TestVerifyTDXMadeQuote(t *testing.T) {
	now := time.Now()
	good, err := attesttest.NewTDX(now, attesttest.UpToDate)
	if err != nil {
		t.Fatal(err)
	}
	binding := sha256.Sum256([]byte("tls key and nonce"))
	raw, err := good.Quote(binding[:])
	if err != nil {
		t.Fatal(err)
	}
	pol := func(x *attesttest.TDX) attest.Policy {
		return attest.Policy{TDX: attest.TDXPolicy{MRTDs: [][]byte{x.MRTD}, AllowDebug: true, Getter: x.Getter(), TrustedRoots: []*x509.Certificate{x.Root}}}
	}
	res, err := attest.Verify(context.Background(), attest.Evidence{Kind: attest.KindTDX, Raw: raw}, pol(good), binding[:], now)
	if err != nil {
		t.Fatalf("made quote with collateral: %v", err)
	}
	for _, c := range []string{"signature", "cert-chain", "collateral", "revocation", "measurement", "binding"} {
		if !slices.Contains(res.Checks, c) {
			t.Errorf("check %q missing from %v", c, res.Checks)
		}
	}
	other := sha256.Sum256([]byte("another key"))
	old, err := attesttest.NewTDX(now, attesttest.OutOfDate)
	if err != nil {
		t.Fatal(err)
	}
	oldRaw, err := old.Quote(binding[:])
	if err != nil {
		t.Fatal(err)
	}
	intelRoot := intelRootFromLibrary(t)
	for name, tc := range map[string]struct {
		raw       []byte
		pol       attest.Policy
		binding   []byte
		wantCheck string
	}{
		"bound to another key":          {raw, pol(good), other[:], attest.CheckBinding},
		"platform out of date":          {oldRaw, pol(old), binding[:], attest.CheckTCB},
		"Intel's root, not the test":    {raw, func() attest.Policy { p := pol(good); p.TDX.TrustedRoots = []*x509.Certificate{intelRoot}; return p }(), binding[:], attest.CheckSignature},
		"another platform's collateral": {raw, func() attest.Policy { p := pol(good); p.TDX.Getter = old.Getter(); return p }(), binding[:], attest.CheckSignature},
	} {
		if _, err := attest.Verify(context.Background(), attest.Evidence{Kind: attest.KindTDX, Raw: tc.raw}, tc.pol, tc.binding, now); err == nil || attest.CheckOf(err) != tc.wantCheck {
			t.Errorf("%s: err = %v (check %q), want check %q", name, err, attest.CheckOf(err), tc.wantCheck)
		}
	}
}

// intelRootFromLibrary reads Intel's SGX root certificate from the issuer
// chain go-tdx-guest's test getter serves with the PCK CRL.
func intelRootFromLibrary(t *testing.T) *x509.Certificate {
	t.Helper()
	chain, err := url.QueryUnescape(tdxtest.PckCrlHeader["Sgx-Pck-Crl-Issuer-Chain"][0])
	if err != nil {
		t.Fatal(err)
	}
	var last *x509.Certificate
	for rest := []byte(chain); ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if last, err = x509.ParseCertificate(b.Bytes); err != nil {
			t.Fatal(err)
		}
	}
	return last
}
