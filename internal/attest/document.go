package attest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// DocumentVersion is the version of the evidence document format.
const DocumentVersion = 1

// NonceSize is the size of the gateway's freshness nonce.
const NonceSize = 32

// MaxDocumentSize bounds an evidence document (a TDX quote with its PCK
// chain is ~5 KiB, an SNP extended report ~4 KiB, collateral a few KiB each).
const MaxDocumentSize = 1 << 20

// bindingDomain separates warden's binding from any other use of the same
// hash.
const bindingDomain = "warden-attestation-v1\n"

// Binding is what a confidential upstream's evidence must commit to:
//
//	SHA-256("warden-attestation-v1\n" || SHA-256(SPKI) || nonce)
//
// where SPKI is the DER SubjectPublicKeyInfo of the upstream's TLS
// certificate and nonce the gateway's fresh 32-byte nonce. SEV-SNP and TDX
// evidence carry it as the first 32 bytes of REPORT_DATA, a GPU token as
// its nonce claim (hex). The TLS key ties the evidence to the connection,
// the nonce to this request for evidence (a replayed report fails).
func Binding(spkiSHA256, nonce []byte) []byte {
	h := sha256.New()
	h.Write([]byte(bindingDomain))
	h.Write(spkiSHA256)
	h.Write(nonce)
	return h.Sum(nil)
}

// Document is what a confidential upstream's evidence endpoint answers
// (GET <evidence_url>?nonce=<64 hex>), as JSON:
//
//	{"version": 1,
//	 "nonce": "<the 64 hex digits the gateway sent>",
//	 "evidence": [{"kind": "sev-snp", "data": "<base64>"}, ...],
//	 "collateral": [{"url": "<AMD KDS or Intel PCS URL>",
//	                 "headers": {"<name>": ["<value>"]}, "body": "<base64>"}]}
//
// Evidence data is base64 (standard, padded) of Evidence.Raw: the SNP
// extended report, the TDX quote, or the GPU token's compact JWS.
// Collateral is what the verifier would otherwise fetch from AMD KDS or
// Intel PCS (VCEK, TCB info, QE identity, CRLs), keyed by its URL, with
// the response headers Intel puts issuer chains in; it is signed by the
// vendor, so carrying it in the document changes nothing about trust.
type Document struct {
	Version    int                  `json:"version"`
	Nonce      string               `json:"nonce"`
	Evidence   []DocumentEvidence   `json:"evidence"`
	Collateral []DocumentCollateral `json:"collateral,omitempty"`
}

// DocumentEvidence is one piece of evidence in a Document.
type DocumentEvidence struct {
	Kind string `json:"kind"`
	Data []byte `json:"data"` // base64 in JSON
}

// DocumentCollateral is one vendor answer carried in a Document.
type DocumentCollateral struct {
	URL     string              `json:"url"`
	Headers map[string][]string `json:"headers,omitempty"`
	Body    []byte              `json:"body"` // base64 in JSON
}

// ParseDocument decodes and checks an evidence document: known version,
// the nonce the gateway sent, at least one piece of evidence, known kinds,
// no kind twice, collateral with URLs. Unknown fields are errors.
func ParseDocument(data []byte, nonce []byte) (*Document, error) {
	if len(data) > MaxDocumentSize {
		return nil, failf("document", CheckEvidence, "evidence document is %d bytes, over the %d limit", len(data), MaxDocumentSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d Document
	if err := dec.Decode(&d); err != nil {
		return nil, failf("document", CheckEvidence, "evidence document is not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, failf("document", CheckEvidence, "evidence document has trailing data")
	}
	if d.Version != DocumentVersion {
		return nil, failf("document", CheckEvidence, "evidence document version %d is not supported (want %d)", d.Version, DocumentVersion)
	}
	if !strings.EqualFold(d.Nonce, hex.EncodeToString(nonce)) {
		return nil, failf("document", CheckBinding, "evidence document answers another nonce (a replayed or cached document)")
	}
	if len(d.Evidence) == 0 {
		return nil, failf("document", CheckEvidence, "evidence document has no evidence")
	}
	var seen []string
	for i, e := range d.Evidence {
		switch e.Kind {
		case KindSEVSNP, KindTDX, KindNVIDIAEAT:
		default:
			return nil, failf("document", CheckEvidence, "evidence[%d]: unknown kind %q (want %s, %s or %s)", i, e.Kind, KindSEVSNP, KindTDX, KindNVIDIAEAT)
		}
		if slices.Contains(seen, e.Kind) {
			return nil, failf("document", CheckEvidence, "evidence[%d]: kind %s given twice", i, e.Kind)
		}
		seen = append(seen, e.Kind)
		if len(e.Data) == 0 {
			return nil, failf("document", CheckEvidence, "evidence[%d] (%s): empty data", i, e.Kind)
		}
	}
	for i, c := range d.Collateral {
		if !strings.HasPrefix(c.URL, "https://") {
			return nil, failf("document", CheckEvidence, "collateral[%d]: url %.80q is not an https URL", i, c.URL)
		}
	}
	return &d, nil
}

// Get returns the evidence of kind, or false.
func (d *Document) Get(kind string) (Evidence, bool) {
	for _, e := range d.Evidence {
		if e.Kind == kind {
			return Evidence{Kind: e.Kind, Raw: e.Data}, true
		}
	}
	return Evidence{}, false
}

// DocumentGetter serves a Document's collateral by exact URL, then asks
// Next (nil: nothing else; a URL the document lacks is an error). It is
// both a CertGetter and a CollateralGetter.
type DocumentGetter struct {
	Doc  *Document
	Next CollateralGetter
}

// Get implements CertGetter.
func (g DocumentGetter) Get(url string) ([]byte, error) {
	_, b, err := g.GetWithHeaders(url)
	return b, err
}

// GetWithHeaders implements CollateralGetter's shape.
func (g DocumentGetter) GetWithHeaders(url string) (map[string][]string, []byte, error) {
	if g.Doc != nil {
		for _, c := range g.Doc.Collateral {
			if c.URL == url {
				return c.Headers, c.Body, nil
			}
		}
	}
	if g.Next != nil {
		return g.Next.Get(url)
	}
	return nil, nil, fmt.Errorf("%s is not in the evidence document's collateral and fetching collateral is off", url)
}

// Collateral adapts g to CollateralGetter.
func (g DocumentGetter) Collateral() CollateralGetter { return collateralFunc(g.GetWithHeaders) }

type collateralFunc func(string) (map[string][]string, []byte, error)

func (f collateralFunc) Get(url string) (map[string][]string, []byte, error) { return f(url) }
