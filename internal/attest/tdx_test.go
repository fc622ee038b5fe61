package attest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"

	tdxabi "github.com/google/go-tdx-guest/abi"

	tdxtest "github.com/google/go-tdx-guest/testing"
	tdxdata "github.com/google/go-tdx-guest/testing/testdata"
)

// The go-tdx-guest test vector: a production quote from a Sapphire Rapids
// host, PCK chain to Intel's real SGX root, and the matching PCS
// collateral served offline by the library's TestGetter. Its certificates
// are valid on this date.
var tdxNow = time.Date(2023, time.July, 1, 1, 0, 0, 0, time.UTC)

func TestVerifyTDX(t *testing.T) {
	q, err := tdxabi.QuoteToProto(tdxdata.RawQuote)
	if err != nil {
		t.Fatal(err)
	}
	body := q.(tdQuote).GetTdQuoteBody()
	mrtd := body.GetMrTd()
	binding := body.GetReportData()[:32]
	other := sha256.Sum256([]byte("another key"))
	good := func() Policy {
		return Policy{TDX: TDXPolicy{MRTDs: [][]byte{bytes.Repeat([]byte{1}, 48), mrtd}, AllowDebug: body.GetTdAttributes()[0]&1 != 0}}
	}
	tampered := bytes.Clone(tdxdata.RawQuote)
	tampered[0x30+0x88] ^= 1 // a byte of MRTD inside the signed body

	tests := []struct {
		name    string
		raw     []byte
		pol     func(Policy) Policy
		binding []byte
		now     time.Time
		wantErr string
	}{
		{name: "good, chain only", raw: tdxdata.RawQuote},
		// The library's sample TCB info (served offline with valid Intel
		// signatures and CRLs) lists no TCB level matching the sample
		// quote: with collateral, verification must refuse it.
		{name: "PCS collateral without a matching TCB level", raw: tdxdata.RawQuote,
			pol: func(p Policy) Policy { p.TDX.Getter = tdxtest.TestGetter; return p }, wantErr: "no matching TCB level"},
		{name: "rtmr0 pinned", raw: tdxdata.RawQuote,
			pol: func(p Policy) Policy { p.TDX.RTMRs[0] = [][]byte{body.GetRtmrs()[0]}; return p }},
		{name: "rtmr0 mismatch", raw: tdxdata.RawQuote,
			pol: func(p Policy) Policy { p.TDX.RTMRs[0] = [][]byte{make([]byte, 48)}; return p }, wantErr: "RTMR0"},
		{name: "tampered body", raw: tampered, wantErr: "signature"},
		{name: "MRTD not allowed", raw: tdxdata.RawQuote,
			pol: func(p Policy) Policy { p.TDX.MRTDs = [][]byte{make([]byte, 48)}; return p }, wantErr: "not in the allowlist"},
		{name: "bound to another key", raw: tdxdata.RawQuote, binding: other[:], wantErr: "binding"},
		{name: "certificates expired", raw: tdxdata.RawQuote, now: time.Date(2053, 1, 1, 0, 0, 0, 0, time.UTC), wantErr: "certificate chain"},
		{name: "TCB below minimum", raw: tdxdata.RawQuote,
			pol: func(p Policy) Policy { p.TDX.MinimumTeeTCBSVN = bytes.Repeat([]byte{0xff}, 16); return p }, wantErr: "TCB"},
		{name: "empty allowlist", raw: tdxdata.RawQuote, pol: func(p Policy) Policy { p.TDX.MRTDs = nil; return p }, wantErr: "allows no MRTD"},
		{name: "truncated", raw: tdxdata.RawQuote[:200], wantErr: "parse quote"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pol := good()
			if tc.pol != nil {
				pol = tc.pol(pol)
			}
			b := binding
			if tc.binding != nil {
				b = tc.binding
			}
			now := tdxNow
			if !tc.now.IsZero() {
				now = tc.now
			}
			res, err := Verify(context.Background(), Evidence{Kind: KindTDX, Raw: tc.raw}, pol, b, now)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if !contains(res.Checks, "cert-chain") || !contains(res.Checks, "binding") || res.Measurement == "" {
					t.Errorf("result = %+v", res)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrUnverified) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Verify error = %v, want ErrUnverified containing %q", err, tc.wantErr)
			}
		})
	}
}

// testTCBSigner is a stand-in for Intel's TCB signing chain: a root and a
// signing certificate with Intel's names, P-256 keys made for the test.
type testTCBSigner struct {
	root, signing *x509.Certificate
	key           *ecdsa.PrivateKey
}

func newTestTCBSigner(t *testing.T) *testTCBSigner {
	t.Helper()
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	name := func(cn string) pkix.Name {
		return pkix.Name{CommonName: cn, Organization: []string{"Intel Corporation"}, Locality: []string{"Santa Clara"}, Province: []string{"CA"}, Country: []string{"US"}}
	}
	from, to := tdxNow.Add(-365*24*time.Hour), tdxNow.Add(365*24*time.Hour)
	rootT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: name("Intel SGX Root CA"), NotBefore: from, NotAfter: to,
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, SignatureAlgorithm: x509.ECDSAWithSHA256}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootT, rootT, rootKey.Public(), rootKey)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := x509.ParseCertificate(rootDER)
	sigT := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: name("Intel SGX TCB Signing"), NotBefore: from, NotAfter: to,
		KeyUsage: x509.KeyUsageDigitalSignature, SignatureAlgorithm: x509.ECDSAWithSHA256}
	sigDER, err := x509.CreateCertificate(rand.Reader, sigT, root, key.Public(), rootKey)
	if err != nil {
		t.Fatal(err)
	}
	signing, _ := x509.ParseCertificate(sigDER)
	return &testTCBSigner{root: root, signing: signing, key: key}
}

// tcbInfo re-signs the library's sample TDX TCB info after edit: the
// answer Intel PCS would give, with its issuer chain header.
func (s *testTCBSigner) tcbInfo(t *testing.T, edit func(map[string]any)) tdxtest.HTTPResponse {
	t.Helper()
	var sample struct {
		TcbInfo map[string]any `json:"tcbInfo"`
	}
	if err := json.Unmarshal(tdxdata.TcbInfoBody, &sample); err != nil {
		t.Fatal(err)
	}
	edit(sample.TcbInfo)
	raw, err := json.Marshal(sample.TcbInfo)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256(raw)
	r, ss, err := ecdsa.Sign(rand.Reader, s.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := append(r.FillBytes(make([]byte, 32)), ss.FillBytes(make([]byte, 32))...)
	body := []byte(`{"tcbInfo":` + string(raw) + `,"signature":"` + hex.EncodeToString(sig) + `"}`)
	chain := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.signing.Raw})) +
		string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.root.Raw}))
	return tdxtest.HTTPResponse{Header: map[string][]string{"Tcb-Info-Issuer-Chain": {url.QueryEscape(chain)}}, Body: body}
}

// tcbLevelsMatchingTheQuote lowers the first TCB level's SVNs to zero so
// the sample quote (an older platform than the sample TCB info) matches
// it, as go-tdx-guest's own TestVerifyUsingTcbInfoV4 does.
func tcbLevelsMatchingTheQuote(status string) func(map[string]any) {
	return func(ti map[string]any) {
		level := ti["tcbLevels"].([]any)[0].(map[string]any)
		tcb := level["tcb"].(map[string]any)
		for _, k := range []string{"sgxtcbcomponents", "tdxtcbcomponents"} {
			for _, c := range tcb[k].([]any) {
				c.(map[string]any)["svn"] = 0
			}
		}
		tcb["pcesvn"] = 0
		level["tcbStatus"] = status
	}
}

// TestVerifyTDXWithCollateral: a TDX quote verified with PCS collateral,
// offline. The quote, its PCK chain (to Intel's real root), the QE identity
// and CRLs are the library's genuine vectors; the TCB info is the
// library's sample with its first level lowered to match this older
// platform and re-signed by a test TCB-signing chain that the policy
// trusts next to Intel's root. Revocation is not checked here: one root
// CRL cannot be signed by both roots.
func TestVerifyTDXWithCollateral(t *testing.T) {
	q, err := tdxabi.QuoteToProto(tdxdata.RawQuote)
	if err != nil {
		t.Fatal(err)
	}
	body := q.(tdQuote).GetTdQuoteBody()
	binding := body.GetReportData()[:32]
	intelRoot := intelRootFromLibrary(t)
	signer := newTestTCBSigner(t)
	const tcbURL = "https://api.trustedservices.intel.com/tdx/certification/v4/tcb?fmspc=50806f000000"
	getter := func(tcb tdxtest.HTTPResponse) *tdxtest.Getter {
		g := &tdxtest.Getter{Responses: map[string]tdxtest.HTTPResponse{}}
		for u, r := range tdxtest.TestGetter.Responses {
			g.Responses[u] = r
		}
		g.Responses[tcbURL] = tcb
		return g
	}
	pol := func(g CollateralGetter) Policy {
		return Policy{TDX: TDXPolicy{MRTDs: [][]byte{body.GetMrTd()}, AllowDebug: body.GetTdAttributes()[0]&1 != 0,
			Getter: g, TrustedRoots: []*x509.Certificate{intelRoot, signer.root}, SkipRevocation: true}}
	}
	tampered := signer.tcbInfo(t, tcbLevelsMatchingTheQuote("UpToDate"))
	tampered.Body = bytes.Replace(tampered.Body, []byte(`"tcbStatus":"UpToDate"`), []byte(`"tcbStatus":"UpToDate" `), 1)
	tampered.Body = bytes.Replace(tampered.Body, []byte(`"fmspc":"50806f000000"`), []byte(`"fmspc":"50806F000000"`), 1)

	tests := []struct {
		name      string
		getter    CollateralGetter
		wantErr   string
		wantCheck string
	}{
		{name: "up to date", getter: getter(signer.tcbInfo(t, tcbLevelsMatchingTheQuote("UpToDate")))},
		{name: "platform out of date", getter: getter(signer.tcbInfo(t, tcbLevelsMatchingTheQuote("OutOfDate"))), wantErr: "TCB Status", wantCheck: CheckTCB},
		{name: "TCB info changed after signing", getter: getter(tampered), wantErr: "signature", wantCheck: CheckSignature},
		{name: "library sample (no level matches this quote)", getter: tdxtest.TestGetter, wantErr: "no matching TCB level", wantCheck: CheckTCB},
		{name: "TCB info missing", getter: getter(tdxtest.HTTPResponse{}), wantErr: "Tcb-Info-Issuer-Chain", wantCheck: CheckEvidence},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Verify(context.Background(), Evidence{Kind: KindTDX, Raw: tdxdata.RawQuote}, pol(tc.getter), binding, tdxNow)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if !contains(res.Checks, "collateral") || contains(res.Checks, "revocation") || !contains(res.Checks, "binding") {
					t.Errorf("checks = %v", res.Checks)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || CheckOf(err) != tc.wantCheck {
				t.Errorf("Verify error = %v (check %q), want %q containing %q", err, CheckOf(err), tc.wantCheck, tc.wantErr)
			}
		})
	}
	// Without trusting the test signing root, the re-signed TCB info is
	// refused: collateral must chain to a trusted root.
	p := pol(getter(signer.tcbInfo(t, tcbLevelsMatchingTheQuote("UpToDate"))))
	p.TDX.TrustedRoots = []*x509.Certificate{intelRoot}
	if _, err := Verify(context.Background(), Evidence{Kind: KindTDX, Raw: tdxdata.RawQuote}, p, binding, tdxNow); err == nil {
		t.Error("TCB info signed under an untrusted root verified")
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
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if last, err = x509.ParseCertificate(b.Bytes); err != nil {
			t.Fatal(err)
		}
	}
	if last == nil || last.Subject.CommonName != "Intel SGX Root CA" {
		t.Fatalf("Intel root not found in the library's issuer chain: %v", last)
	}
	return last
}
