// Package confidentialtest runs a fake confidential model upstream on
// 127.0.0.1 for tests: an HTTPS server (its own test CA, a TLS key that
// can be rotated) whose /.well-known/warden-attestation answers a warden
// evidence document with an AMD SEV-SNP report signed by go-sev-guest's
// test-only AMD chain and, optionally, an NVIDIA-style GPU token signed by
// a local key published at /jwks.json. Modes make the evidence bad in the
// ways a real deployment can go wrong.
//
// A gateway trusts it with the files it writes (CAFile for TLS, RootsFile
// for the fake AMD roots) and the measurement it reports; ConfigYAML and
// PolicyYAML print the matching gateway.yaml and warden.yaml pieces, so an
// end-to-end test running the warden binary can use it too.
package confidentialtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-sev-guest/abi"
	sevtest "github.com/google/go-sev-guest/testing"

	"github.com/wardenhq/warden/internal/attest"
)

// Mode is how the upstream's evidence behaves.
type Mode int

const (
	// Good evidence: signed, allowed measurement, bound to the server's
	// TLS key and the gateway's nonce.
	Good Mode = iota
	// BadSignature: the report is changed after it was signed.
	BadSignature
	// WrongMeasurement: a correctly signed report of another image.
	WrongMeasurement
	// WrongKey: the report binds another TLS key (evidence relayed from
	// another machine).
	WrongKey
	// Stale: the document made for the first nonce is replayed.
	Stale
	// Down: the evidence endpoint answers 503.
	Down
	// BadGPUToken: the SNP report is good, the GPU token is signed by a key
	// that is not in the JWKS.
	BadGPUToken
	// Redirect: the evidence endpoint redirects elsewhere.
	Redirect
)

// GPUIssuer is the iss of the fake GPU tokens.
const GPUIssuer = "https://nras.example.test"

// Upstream is the running fake.
type Upstream struct {
	// URL is https://127.0.0.1:<port>.
	URL string
	// Measurement is the hex SEV-SNP launch measurement of its "image".
	Measurement string
	// GPUMeasurement is the hex measurement claim of its GPU tokens.
	GPUMeasurement string
	// CAFile is a PEM file with the CA that signs its TLS certificates;
	// CAPool holds the same CA.
	CAFile string
	CAPool *x509.CertPool
	// RootsFile is a PEM file with the test-only AMD ARK and ASK.
	RootsFile string
	Roots     []*x509.Certificate

	api    http.Handler
	srv    *http.Server
	signer *sevtest.AmdSigner
	caKey  *ecdsa.PrivateKey
	caCert *x509.Certificate
	gpuKey *ecdsa.PrivateKey

	mu        sync.Mutex
	override  func(spki, nonce []byte) ([]byte, error)
	mode      Mode
	gpu       bool
	cert      *tls.Certificate
	spki      []byte
	calls     int
	firstDoc  []byte
	apiCalls  int
	apiBodies []string
}

// New starts a fake confidential upstream serving api (the model API: a
// fake Anthropic or OpenAI server) next to its evidence endpoint. It stops
// when the test ends.
func New(t testing.TB, api http.Handler) *Upstream {
	t.Helper()
	u, err := start(t.TempDir(), api)
	if err != nil {
		t.Fatalf("confidentialtest: %v", err)
	}
	t.Cleanup(u.Close)
	return u
}

func start(dir string, api http.Handler) (*Upstream, error) {
	u := &Upstream{api: api, Measurement: strings.Repeat("ab", 48), GPUMeasurement: strings.Repeat("5a", 48)}
	var err error
	u.signer, err = sevtest.DefaultTestOnlyCertChain(sevtest.GetProductName(), time.Now().Add(-24*time.Hour))
	if err != nil {
		return nil, fmt.Errorf("test-only AMD chain: %w", err)
	}
	u.Roots = []*x509.Certificate{u.signer.Ark, u.signer.Ask}
	if u.caKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	if u.gpuKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "confidentialtest CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, u.caKey.Public(), u.caKey)
	if err != nil {
		return nil, err
	}
	if u.caCert, err = x509.ParseCertificate(der); err != nil {
		return nil, err
	}
	u.CAPool = x509.NewCertPool()
	u.CAPool.AddCert(u.caCert)
	u.CAFile = filepath.Join(dir, "upstream-ca.pem")
	if err := os.WriteFile(u.CAFile, pemCert(u.caCert), 0o600); err != nil {
		return nil, err
	}
	u.RootsFile = filepath.Join(dir, "amd-test-roots.pem")
	if err := os.WriteFile(u.RootsFile, append(pemCert(u.signer.Ark), pemCert(u.signer.Ask)...), 0o600); err != nil {
		return nil, err
	}
	if err := u.RotateKey(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	u.URL = "https://" + ln.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/warden-attestation", u.evidence)
	mux.HandleFunc("GET /jwks.json", u.jwks)
	mux.Handle("/", api)
	u.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		// Handshakes the gateway refuses (a key it did not attest) are
		// expected here, not news.
		ErrorLog: log.New(io.Discard, "", 0),
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			u.mu.Lock()
			defer u.mu.Unlock()
			return u.cert, nil
		}}}
	go u.srv.ServeTLS(ln, "", "")
	return u, nil
}

// Close stops the server.
func (u *Upstream) Close() { u.srv.Close() }

// SetMode changes how the evidence behaves from the next request on.
func (u *Upstream) SetMode(m Mode) {
	u.mu.Lock()
	u.mode = m
	u.mu.Unlock()
}

// WithGPU adds a GPU token (nvidia-eat) to every evidence document.
func (u *Upstream) WithGPU() *Upstream {
	u.mu.Lock()
	u.gpu = true
	u.mu.Unlock()
	return u
}

// SetDocument replaces the evidence document with what f returns for the
// server's current SPKI hash and the gateway's nonce (nil: back to the
// built-in SNP evidence), e.g. to serve a TDX quote.
func (u *Upstream) SetDocument(f func(spki, nonce []byte) ([]byte, error)) {
	u.mu.Lock()
	u.override = f
	u.mu.Unlock()
}

// EvidenceCalls is how many times the evidence endpoint was asked.
func (u *Upstream) EvidenceCalls() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.calls
}

// RotateKey gives the server a new TLS key and certificate (a restarted
// or replaced machine) and drops open connections.
func (u *Upstream) RotateKey() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: "confidential upstream"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, u.caCert, key.Public(), u.caKey)
	if err != nil {
		return err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	u.mu.Lock()
	u.cert = &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
	u.spki = sum[:]
	u.mu.Unlock()
	if u.srv != nil {
		// Open keep-alive connections still use the old key; a restarted
		// machine would drop them.
		u.srv.SetKeepAlivesEnabled(false)
		u.srv.SetKeepAlivesEnabled(true)
	}
	return nil
}

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func (u *Upstream) evidence(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.calls++
	mode, gpu, spki, first := u.mode, u.gpu, u.spki, u.firstDoc
	u.mu.Unlock()
	u.mu.Lock()
	override := u.override
	u.mu.Unlock()
	if override != nil {
		nonce, _ := hex.DecodeString(r.URL.Query().Get("nonce"))
		doc, err := override(spki, nonce)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(doc)
		return
	}
	switch mode {
	case Down:
		http.Error(w, "attestation agent unavailable", http.StatusServiceUnavailable)
		return
	case Redirect:
		http.Redirect(w, r, "https://evidence.example.test/elsewhere?"+r.URL.RawQuery, http.StatusFound)
		return
	}
	if mode == Stale && first != nil {
		w.Header().Set("Content-Type", "application/json")
		w.Write(first)
		return
	}
	nonce, err := hex.DecodeString(r.URL.Query().Get("nonce"))
	if err != nil || len(nonce) != attest.NonceSize {
		http.Error(w, "nonce: want 64 hex digits", http.StatusBadRequest)
		return
	}
	doc, err := u.Document(mode, gpu, spki, nonce)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	u.mu.Lock()
	if u.firstDoc == nil {
		u.firstDoc = doc
	}
	u.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Write(doc)
}

// Document builds an evidence document for nonce, bound to spki (the
// SHA-256 of a TLS SubjectPublicKeyInfo), as an attestation agent in the
// TEE would.
func (u *Upstream) Document(mode Mode, gpu bool, spki, nonce []byte) ([]byte, error) {
	if mode == WrongKey {
		other := sha256.Sum256([]byte("another machine's TLS key"))
		spki = other[:]
	}
	binding := attest.Binding(spki, nonce)
	meas, _ := hex.DecodeString(u.Measurement)
	if mode == WrongMeasurement {
		meas = bytes.Repeat([]byte{0xcd}, 48)
	}
	rd := append(append([]byte(nil), binding...), make([]byte, 32)...)
	raw := sevtest.CreateRawReport(&sevtest.TestReportOptions{ReportData: rd, Version: 2})
	rep := raw[:abi.ReportSize]
	binary.LittleEndian.PutUint64(rep[0x08:0x10], abi.SnpPolicyToBytes(abi.SnpPolicy{SMT: true}))
	copy(rep[0x90:0xC0], meas)
	sr, ss, err := u.signer.Sign(abi.SignedComponent(rep))
	if err != nil {
		return nil, err
	}
	if err := abi.SetSignature(sr, ss, rep); err != nil {
		return nil, err
	}
	if mode == BadSignature {
		rep[0x90] ^= 1
	}
	certs, err := u.signer.CertTableBytes()
	if err != nil {
		return nil, err
	}
	doc := attest.Document{Version: attest.DocumentVersion, Nonce: hex.EncodeToString(nonce),
		Evidence: []attest.DocumentEvidence{{Kind: attest.KindSEVSNP, Data: append(append([]byte(nil), rep...), certs...)}}}
	if gpu {
		key := u.gpuKey
		if mode == BadGPUToken {
			key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		}
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
			"iss": GPUIssuer, "sub": "gpu-0", "iat": time.Now().Add(-time.Second).Unix(), "exp": time.Now().Add(time.Hour).Unix(),
			"eat_nonce": hex.EncodeToString(binding), "measurement": u.GPUMeasurement, "x-nvidia-overall-att-result": true,
		})
		tok.Header["kid"] = "gpu-key-1"
		s, err := tok.SignedString(key)
		if err != nil {
			return nil, err
		}
		doc.Evidence = append(doc.Evidence, attest.DocumentEvidence{Kind: attest.KindNVIDIAEAT, Data: []byte(s)})
	}
	return json.Marshal(doc)
}

func (u *Upstream) jwks(w http.ResponseWriter, _ *http.Request) {
	pub := u.gpuKey.PublicKey
	b := func(n *big.Int) string { return base64.RawURLEncoding.EncodeToString(n.FillBytes(make([]byte, 32))) }
	x, y := pointXY(&pub)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"keys": []any{map[string]string{
		"kty": "EC", "crv": "P-256", "kid": "gpu-key-1", "use": "sig", "x": b(x), "y": b(y)}}})
}

// pointXY returns the coordinates of an uncompressed P-256 key.
func pointXY(k *ecdsa.PublicKey) (*big.Int, *big.Int) {
	raw, err := k.Bytes()
	if err != nil || len(raw) != 65 {
		panic(errors.New("confidentialtest: not a P-256 key"))
	}
	return new(big.Int).SetBytes(raw[1:33]), new(big.Int).SetBytes(raw[33:])
}

// ConfigYAML is the gateway.yaml upstream entry for this fake (indented
// for a list under "upstreams:"); provider is anthropic or openai.
func (u *Upstream) ConfigYAML(name, provider string) string {
	kinds := "[sev-snp]"
	u.mu.Lock()
	if u.gpu {
		kinds = "[sev-snp, nvidia-eat]"
	}
	u.mu.Unlock()
	return fmt.Sprintf(`  - name: %s
    provider: %s
    url: %s
    confidential: true
    attestation:
      evidence: %s
      ca_file: %s
      sev_snp_roots_file: %s
`, name, provider, u.URL, kinds, u.CAFile, u.RootsFile)
}

// PolicyYAML is the warden.yaml models.attestation section that allows
// this fake's measurements (and its JWKS for GPU tokens).
func (u *Upstream) PolicyYAML() string {
	return fmt.Sprintf(`  attestation:
    measurements:
      sev-snp: [%s]
      nvidia-eat: [%s]
    jwks_url: %s/jwks.json
    issuer: %s
`, u.Measurement, u.GPUMeasurement, u.URL, GPUIssuer)
}
