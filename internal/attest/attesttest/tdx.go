// Package attesttest makes Intel TDX evidence for tests: quotes that carry
// any REPORT_DATA, signed under a test-only PKI that mirrors Intel's (an
// "Intel SGX Root CA", a PCK platform CA, a PCK certificate carrying the
// SGX extensions of go-tdx-guest's production vector, a TCB signing
// certificate), and the PCS collateral that accepts them (TCB info, QE
// identity, PCK and root CRLs), all signed by those test keys. A verifier
// given Root as its only trusted root verifies such a quote with full
// collateral and revocation checks, offline; with Intel's real root it
// refuses it. Never use it outside tests.
package attesttest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"time"

	tdxabi "github.com/google/go-tdx-guest/abi"
	"github.com/google/go-tdx-guest/pcs"
	tdxpb "github.com/google/go-tdx-guest/proto/tdx"
	tdxdata "github.com/google/go-tdx-guest/testing/testdata"
	"google.golang.org/protobuf/proto"

	"github.com/wardenhq/warden/internal/attest"
)

// sgxExtensionsOID holds the PCK certificate's SGX extensions (FMSPC, TCB,
// PCE-ID...).
var sgxExtensionsOID = asn1.ObjectIdentifier{1, 2, 840, 113741, 1, 13, 1}

// TDX is a test-only TDX platform and its collateral.
type TDX struct {
	Root, Intermediate, PCK, TCBSigning *x509.Certificate
	// MRTD is the TD measurement the quotes carry (the vector's).
	MRTD []byte
	// Collateral is what Intel PCS would answer, by URL.
	Collateral []attest.DocumentCollateral

	pckKey, attKey *ecdsa.PrivateKey
	base           *tdxpb.QuoteV4
}

// TCBStatus is the status the TDX TCB info gives the platform's level.
type TCBStatus string

const (
	UpToDate  TCBStatus = "UpToDate"
	OutOfDate TCBStatus = "OutOfDate"
)

// NewTDX makes the PKI and collateral, valid around now, with the
// platform's TCB level marked status.
func NewTDX(now time.Time, status TCBStatus) (*TDX, error) {
	q, err := tdxabi.QuoteToProto(tdxdata.RawQuote)
	if err != nil {
		return nil, err
	}
	base, ok := q.(*tdxpb.QuoteV4)
	if !ok {
		return nil, errors.New("the library's vector is not a v4 quote")
	}
	realChain, err := parsePEMs(base.GetSignedData().GetCertificationData().GetQeReportCertificationData().GetPckCertificateChainData().GetPckCertChain())
	if err != nil || len(realChain) != 3 {
		return nil, fmt.Errorf("the vector's PCK chain: %v", err)
	}
	realLeaf, realInt, realRoot := realChain[0], realChain[1], realChain[2]
	x := &TDX{base: base, MRTD: base.GetTdQuoteBody().GetMrTd()}
	keys := make([]*ecdsa.PrivateKey, 5)
	for i := range keys {
		if keys[i], err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			return nil, err
		}
	}
	rootKey, intKey, tcbKey := keys[0], keys[1], keys[2]
	x.pckKey, x.attKey = keys[3], keys[4]
	from, to := now.Add(-24*time.Hour), now.Add(365*24*time.Hour)
	mk := func(serial int64, subject pkix.Name, ca bool, usage x509.KeyUsage, extra []pkix.Extension, parent *x509.Certificate, pub, signer *ecdsa.PrivateKey) (*x509.Certificate, error) {
		// Intel's certificates carry AKI, CRL distribution point, SKI, key
		// usage, basic constraints (and the PCK's SGX extensions); the
		// verifier counts them.
		ski := sha256.Sum256([]byte(subject.String()))
		t := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: subject, NotBefore: from, NotAfter: to,
			KeyUsage: usage, BasicConstraintsValid: true, IsCA: ca, ExtraExtensions: extra, SignatureAlgorithm: x509.ECDSAWithSHA256,
			SubjectKeyId: ski[:20], CRLDistributionPoints: []string{"https://certificates.trustedservices.intel.com/IntelSGXRootCA.der"}}
		if parent == nil {
			parent = t
		}
		der, err := x509.CreateCertificate(rand.Reader, t, parent, pub.Public(), signer)
		if err != nil {
			return nil, err
		}
		return x509.ParseCertificate(der)
	}
	if x.Root, err = mk(1, realRoot.Subject, true, x509.KeyUsageCertSign|x509.KeyUsageCRLSign, nil, nil, rootKey, rootKey); err != nil {
		return nil, err
	}
	if x.Intermediate, err = mk(2, realInt.Subject, true, x509.KeyUsageCertSign|x509.KeyUsageCRLSign, nil, x.Root, intKey, rootKey); err != nil {
		return nil, err
	}
	var sgx []pkix.Extension
	for _, e := range realLeaf.Extensions {
		if e.Id.Equal(sgxExtensionsOID) {
			sgx = append(sgx, e)
		}
	}
	if len(sgx) != 1 {
		return nil, errors.New("the vector's PCK certificate has no SGX extensions")
	}
	if x.PCK, err = mk(3, realLeaf.Subject, false, x509.KeyUsageDigitalSignature, sgx, x.Intermediate, x.pckKey, intKey); err != nil {
		return nil, err
	}
	tcbName := realRoot.Subject
	tcbName.CommonName = "Intel SGX TCB Signing"
	if x.TCBSigning, err = mk(4, tcbName, false, x509.KeyUsageDigitalSignature, nil, x.Root, tcbKey, rootKey); err != nil {
		return nil, err
	}

	ext, err := pcs.PckCertificateExtensions(x.PCK)
	if err != nil {
		return nil, fmt.Errorf("PCK extensions: %w", err)
	}
	pckCRL, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: from, NextUpdate: to}, x.Intermediate, intKey)
	if err != nil {
		return nil, err
	}
	rootCRL, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: from, NextUpdate: to}, x.Root, rootKey)
	if err != nil {
		return nil, err
	}
	header := func(name string, certs ...*x509.Certificate) map[string][]string {
		var b []byte
		for _, c := range certs {
			b = append(b, pemCert(c)...)
		}
		return map[string][]string{name: {url.QueryEscape(string(b))}}
	}
	stamp := func(m map[string]any) {
		m["issueDate"] = from.UTC().Format(time.RFC3339)
		m["nextUpdate"] = to.UTC().Format(time.RFC3339)
	}
	tcbInfo, err := resign(tdxdata.TcbInfoBody, "tcbInfo", tcbKey, func(ti map[string]any) {
		stamp(ti)
		level := ti["tcbLevels"].([]any)[0].(map[string]any)
		tcb := level["tcb"].(map[string]any)
		for _, k := range []string{"sgxtcbcomponents", "tdxtcbcomponents"} {
			for _, c := range tcb[k].([]any) {
				c.(map[string]any)["svn"] = 0
			}
		}
		tcb["pcesvn"] = 0
		level["tcbStatus"] = string(status)
	})
	if err != nil {
		return nil, err
	}
	qeIdentity, err := resign(tdxdata.QeIdentityBody, "enclaveIdentity", tcbKey, stamp)
	if err != nil {
		return nil, err
	}
	x.Collateral = []attest.DocumentCollateral{
		{URL: pcs.TcbInfoURL(ext.FMSPC), Headers: header("Tcb-Info-Issuer-Chain", x.TCBSigning, x.Root), Body: tcbInfo},
		{URL: pcs.QeIdentityURL(), Headers: header("Sgx-Enclave-Identity-Issuer-Chain", x.TCBSigning, x.Root), Body: qeIdentity},
		{URL: pcs.PckCrlURL("platform"), Headers: header("Sgx-Pck-Crl-Issuer-Chain", x.Intermediate, x.Root), Body: pckCRL},
		{URL: "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der", Body: rootCRL},
	}
	return x, nil
}

// resign edits the JSON object under field of a PCS answer and signs it
// (ECDSA P-256, r||s in hex) as Intel does.
func resign(body []byte, field string, key *ecdsa.PrivateKey, edit func(map[string]any)) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	var inner map[string]any
	if err := json.Unmarshal(m[field], &inner); err != nil {
		return nil, err
	}
	edit(inner)
	raw, err := json.Marshal(inner)
	if err != nil {
		return nil, err
	}
	sig, err := sign(key, raw)
	if err != nil {
		return nil, err
	}
	return []byte(`{"` + field + `":` + string(raw) + `,"signature":"` + hex.EncodeToString(sig) + `"}`), nil
}

// sign returns the r||s ECDSA signature of SHA-256(msg).
func sign(key *ecdsa.PrivateKey, msg []byte) ([]byte, error) {
	d := sha256.Sum256(msg)
	r, s, err := ecdsa.Sign(rand.Reader, key, d[:])
	if err != nil {
		return nil, err
	}
	return append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...), nil
}

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func parsePEMs(b []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return out, nil
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
}

// Quote returns a v4 quote of the vector's TD with reportData, its QE
// report and quote signed by this platform's keys.
func (x *TDX) Quote(reportData []byte) ([]byte, error) {
	if len(reportData) > 64 {
		return nil, errors.New("report data is at most 64 bytes")
	}
	q := proto.Clone(x.base).(*tdxpb.QuoteV4)
	rd := make([]byte, 64)
	copy(rd, reportData)
	q.TdQuoteBody.ReportData = rd
	sd := q.SignedData
	pub, err := x.attKey.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		return nil, err
	}
	sd.EcdsaAttestationKey = pub[1:]
	qr := sd.CertificationData.QeReportCertificationData
	h := sha256.Sum256(append(append([]byte(nil), sd.EcdsaAttestationKey...), qr.QeAuthData.GetData()...))
	qr.QeReport.ReportData = append(h[:], make([]byte, 32)...)
	rep, err := tdxabi.EnclaveReportToAbiBytes(qr.QeReport)
	if err != nil {
		return nil, err
	}
	if qr.QeReportSignature, err = sign(x.pckKey, rep); err != nil {
		return nil, err
	}
	chain := append(append(pemCert(x.PCK), pemCert(x.Intermediate)...), pemCert(x.Root)...)
	qr.PckCertificateChainData.PckCertChain = chain
	qr.PckCertificateChainData.Size = uint32(len(chain))
	// QE report (384) + signature (64) + auth data (2 + n) + PCK chain (6 + n).
	sd.CertificationData.Size = uint32(384 + 64 + 2 + len(qr.QeAuthData.GetData()) + 6 + len(chain))
	// Signature (64) + attestation key (64) + certification data (6 + n).
	q.SignedDataSize = uint32(64 + 64 + 6 + int(sd.CertificationData.Size))
	hdr, err := tdxabi.HeaderToAbiBytes(q.Header)
	if err != nil {
		return nil, err
	}
	body, err := tdxabi.TdQuoteBodyToAbiBytes(q.TdQuoteBody)
	if err != nil {
		return nil, err
	}
	if sd.Signature, err = sign(x.attKey, append(hdr, body...)); err != nil {
		return nil, err
	}
	q.ExtraBytes = nil
	raw, err := tdxabi.QuoteToAbiBytes(q)
	if err != nil {
		return nil, err
	}
	if _, err := tdxabi.QuoteToProto(raw); err != nil {
		return nil, fmt.Errorf("the made quote does not parse: %w", err)
	}
	return raw, nil
}

// Getter serves the collateral (go-tdx-guest's getter shape).
func (x *TDX) Getter() attest.CollateralGetter {
	return attest.DocumentGetter{Doc: &attest.Document{Collateral: x.Collateral}}.Collateral()
}
