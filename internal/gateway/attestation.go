package gateway

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden/internal/attest"
	"github.com/wardenhq/warden/internal/policy"
)

// defaultAttestationMaxAge is used when the policy leaves
// models.attestation.max_age at 0.
const defaultAttestationMaxAge = 10 * time.Minute

// attestRetryAfter is how long a failed attestation is remembered before
// the next request tries again, so a broken upstream is not asked for
// evidence once per request.
const attestRetryAfter = 5 * time.Second

// nvidiaResultClaim is NRAS's overall verdict claim, required to be true.
const nvidiaResultClaim = "x-nvidia-overall-att-result"

// Reasons an attestation fails, beyond attest's checks (attest.CheckOf).
const (
	checkFetch  = "fetch"   // the evidence endpoint did not answer 200
	checkTLSKey = "tls_key" // the request connection's key is not the attested one
)

// attestFailure is why a confidential upstream was not used.
type attestFailure struct {
	upstream string
	check    string // attest.Check* or checkFetch / checkTLSKey
	err      error
}

func (f *attestFailure) Error() string { return f.upstream + ": " + f.err.Error() }
func (f *attestFailure) Unwrap() error { return f.err }

// attestation is the state of one verified attestation.
type attestation struct {
	pin        []byte // SHA-256 of the upstream's TLS SPKI
	results    []attest.Result
	verifiedAt time.Time
	expires    time.Time
}

// summary names the verified kinds and measurements for the audit log.
func (a *attestation) summary() string {
	var parts []string
	for _, r := range a.results {
		m := r.Measurement
		if len(m) > 16 {
			m = m[:16]
		}
		parts = append(parts, r.Kind+":"+m)
	}
	return strings.Join(parts, "+")
}

// attestor attests one confidential upstream and owns the only transport
// requests to it use: a TLS connection whose key is not the attested one
// is refused during the handshake.
type attestor struct {
	g      *Gateway
	up     *Upstream
	tlsCfg *tls.Config // roots or pin-only; cloned per use
	client *http.Client
	tr     *http.Transport
	pol    attest.Policy // without per-document getters
	maxAge time.Duration

	run sync.Mutex // one attestation at a time

	mu       sync.Mutex
	cur      *attestation // nil: not verified
	failed   *attestFailure
	failedAt time.Time
	mismatch bool // a handshake saw a key other than the pin
	// reconnectPending: a re-attestation after a new connection is running.
	reconnectPending bool
}

// newAttestors builds one attestor per confidential upstream, reading the
// policy's allowlists and the config's CA and root files: a bad file or
// measurement is a configuration error now, not a refusal later.
func newAttestors(g *Gateway, o Options) (map[string]*attestor, error) {
	out := map[string]*attestor{}
	var base attest.Policy
	var maxAge time.Duration
	built := false
	for i := range g.cfg.Upstreams {
		u := &g.cfg.Upstreams[i]
		if !u.Confidential {
			continue
		}
		if !built {
			var err error
			base, maxAge, err = attestPolicy(g.pol.Models.Attestation)
			if err != nil {
				return nil, err
			}
			built = true
		}
		a := &attestor{g: g, up: u, pol: base, maxAge: maxAge}
		a.tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12}
		switch {
		case o.UpstreamRoots != nil:
			a.tlsCfg.RootCAs = o.UpstreamRoots
		case u.Attestation.CAFile != "":
			pool, err := loadPool(u.Attestation.CAFile)
			if err != nil {
				return nil, fmt.Errorf("upstream %s: attestation.ca_file: %w", u.Name, err)
			}
			a.tlsCfg.RootCAs = pool
		}
		if u.Attestation.PinOnly {
			// The CA chain is not checked; VerifyConnection pins the key the
			// attestation vouched for, which is the stronger check.
			a.tlsCfg.InsecureSkipVerify = true
		}
		if f := u.Attestation.SNPRootsFile; f != "" {
			certs, err := loadCerts(f)
			if err != nil {
				return nil, fmt.Errorf("upstream %s: attestation.sev_snp_roots_file: %w", u.Name, err)
			}
			a.pol.SNP.TrustedRoots = certs
		}
		if f := u.Attestation.TDXRootsFile; f != "" {
			certs, err := loadCerts(f)
			if err != nil {
				return nil, fmt.Errorf("upstream %s: attestation.tdx_roots_file: %w", u.Name, err)
			}
			a.pol.TDX.TrustedRoots = certs
		}
		if contains(u.Attestation.Evidence, attest.KindNVIDIAEAT) {
			// Whoever can change the JWKS in transit can forge GPU tokens.
			if ju := g.pol.Models.Attestation.JWKSURL; !strings.HasPrefix(ju, "https://") {
				return nil, fmt.Errorf("upstream %s requires nvidia-eat evidence, but models.attestation.jwks_url %q is not an https URL", u.Name, ju)
			}
			a.pol.NVIDIA.Keys = g.jwks()
		}
		reqCfg := a.tlsCfg.Clone()
		reqCfg.VerifyConnection = a.verifyPinned
		a.tr = &http.Transport{
			Proxy:                 nil,
			TLSClientConfig:       reqCfg,
			MaxIdleConnsPerHost:   64,
			IdleConnTimeout:       90 * time.Second,
			ResponseHeaderTimeout: time.Duration(g.cfg.Timeout),
			ForceAttemptHTTP2:     true,
		}
		a.client = &http.Client{Transport: a.tr}
		out[u.Name] = a
	}
	return out, nil
}

// attestPolicy turns the policy's models.attestation into attest.Policy.
func attestPolicy(p policy.Attestation) (attest.Policy, time.Duration, error) {
	var pol attest.Policy
	for kind, list := range p.Measurements {
		var ms [][]byte
		for i, h := range list {
			b, err := attest.ParseHex(h)
			if err != nil {
				return pol, 0, fmt.Errorf("models.attestation.measurements.%s[%d]: %w", kind, i, err)
			}
			ms = append(ms, b)
		}
		switch kind {
		case attest.KindSEVSNP:
			pol.SNP.Measurements = ms
		case attest.KindTDX:
			pol.TDX.MRTDs = ms
		case attest.KindNVIDIAEAT:
			pol.NVIDIA.Measurements = ms
		default:
			return pol, 0, fmt.Errorf("models.attestation.measurements: unknown evidence kind %q (want sev-snp, tdx or nvidia-eat)", kind)
		}
	}
	tcb := p.SEVSNPMinimumTCB
	for name, v := range map[string]int{"bootloader": tcb.Bootloader, "tee": tcb.TEE, "snp": tcb.SNP, "microcode": tcb.Microcode} {
		if v < 0 || v > 255 {
			return pol, 0, fmt.Errorf("models.attestation.sev_snp_minimum_tcb.%s: %d is not between 0 and 255", name, v)
		}
	}
	pol.SNP.MinimumTCB = attest.TCB{Bootloader: uint8(tcb.Bootloader), TEE: uint8(tcb.TEE), SNP: uint8(tcb.SNP), Microcode: uint8(tcb.Microcode)}
	if p.TDXMinimumTeeTCBSVN != "" {
		svn, err := attest.ParseHex(p.TDXMinimumTeeTCBSVN)
		if err != nil || len(svn) != 16 {
			return pol, 0, fmt.Errorf("models.attestation.tdx_minimum_tee_tcb_svn: want the hex of exactly 16 bytes")
		}
		pol.TDX.MinimumTeeTCBSVN = svn
	}
	for reg, list := range p.TDXRTMRs {
		i := -1
		switch reg {
		case "0", "1", "2", "3":
			i = int(reg[0] - '0')
		default:
			return pol, 0, fmt.Errorf("models.attestation.tdx_rtmrs: %q is not an RTMR number (0 to 3)", reg)
		}
		for j, h := range list {
			b, err := attest.ParseHex(h)
			if err != nil || len(b) != 48 {
				return pol, 0, fmt.Errorf("models.attestation.tdx_rtmrs.%s[%d]: want the hex of 48 bytes", reg, j)
			}
			pol.TDX.RTMRs[i] = append(pol.TDX.RTMRs[i], b)
		}
	}
	maxAge := time.Duration(p.MaxAge)
	if maxAge <= 0 {
		maxAge = defaultAttestationMaxAge
	}
	pol.NVIDIA.Issuer, pol.NVIDIA.Audience = p.Issuer, p.Audience
	pol.NVIDIA.MaxAge = maxAge
	pol.NVIDIA.RequireResult = nvidiaResultClaim
	return pol, maxAge, nil
}

func loadCerts(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate", path)
	}
	return out, nil
}

func loadPool(path string) (*x509.CertPool, error) {
	certs, err := loadCerts(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// spkiHash is the SHA-256 of the leaf certificate's public key.
func spkiHash(cs tls.ConnectionState) ([]byte, error) {
	if len(cs.PeerCertificates) == 0 {
		return nil, errors.New("the upstream presented no TLS certificate")
	}
	sum := sha256.Sum256(cs.PeerCertificates[0].RawSubjectPublicKeyInfo)
	return sum[:], nil
}

var errKeyNotAttested = errors.New("the upstream's TLS key is not the attested one")

// verifyPinned is the request transport's VerifyConnection: only the key
// the current attestation vouched for is accepted. Another key (a new
// machine, a restarted server, an interceptor) fails the handshake and
// marks the attestation stale, so the next attempt re-attests.
func (a *attestor) verifyPinned(cs tls.ConnectionState) error {
	h, err := spkiHash(cs)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cur != nil && bytes.Equal(a.cur.pin, h) {
		// The same machine: the pinned key proves it. It is re-attested in
		// the background all the same (a reconnection can follow a reboot
		// into another image with the same key only if the key left the
		// TEE, which fresh evidence then shows), at most once per
		// attestRetryAfter.
		if !a.reconnectPending && a.g.now().Sub(a.cur.verifiedAt) >= attestRetryAfter {
			a.reconnectPending = true
			go a.reattestAfterReconnect()
		}
		return nil
	}
	a.mismatch = true
	a.cur = nil
	return errKeyNotAttested
}

func (a *attestor) reattestAfterReconnect() {
	defer func() {
		a.mu.Lock()
		a.reconnectPending = false
		a.mu.Unlock()
	}()
	a.refresh(context.Background())
}

// takeMismatch reports (and clears) whether a handshake was refused.
func (a *attestor) takeMismatch() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := a.mismatch
	a.mismatch = false
	return m
}

// ensure returns a verified, unexpired attestation, attesting when there
// is none. Concurrent callers wait for one attestation.
func (a *attestor) ensure(ctx context.Context) (*attestation, error) {
	if st, err, ok := a.cached(); ok {
		return st, err
	}
	a.run.Lock()
	defer a.run.Unlock()
	if st, err, ok := a.cached(); ok {
		return st, err
	}
	return a.attestNow(ctx)
}

// refresh attests now, whatever the cache holds: a failure replaces a
// still-valid attestation (fresh evidence that does not verify means the
// upstream may no longer be what was attested).
func (a *attestor) refresh(ctx context.Context) (*attestation, error) {
	a.run.Lock()
	defer a.run.Unlock()
	return a.attestNow(ctx)
}

// loop re-attests on a schedule: at once, then a quarter of max_age
// before each attestation expires (so requests do not wait for one), or
// attestRetryAfter after a failure.
func (a *attestor) loop(ctx context.Context) {
	for {
		wait := a.maxAge - a.maxAge/4
		if _, err := a.refresh(ctx); err != nil {
			wait = attestRetryAfter
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// attestNow runs one attestation and records its outcome; a.run is held.
func (a *attestor) attestNow(ctx context.Context) (*attestation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The attestation outlives the request that triggered it: a client
	// hanging up must not be remembered as the upstream's failure.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Duration(a.g.cfg.Timeout))
	defer cancel()
	st, err := a.attest(actx)
	now := a.g.now()
	a.mu.Lock()
	var old []byte
	if a.cur != nil {
		old = a.cur.pin
	}
	if err != nil {
		var f *attestFailure
		if !errors.As(err, &f) {
			f = &attestFailure{upstream: a.up.Name, check: checkFetch, err: err}
		}
		a.cur, a.failed, a.failedAt = nil, f, now
		a.mu.Unlock()
		a.g.metrics.attested(a.up.Name, f.check)
		a.g.log.Warn("attestation failed", "upstream", a.up.Name, "check", f.check, "err", f.err.Error())
		a.tr.CloseIdleConnections()
		return nil, f
	}
	a.cur, a.failed = st, nil
	a.mu.Unlock()
	a.g.metrics.attested(a.up.Name, "")
	a.g.log.Info("attestation verified", "upstream", a.up.Name, "evidence", st.summary(), "expires", st.expires)
	if old != nil && !bytes.Equal(old, st.pin) {
		// Connections made under the old key must not carry requests.
		a.tr.CloseIdleConnections()
	}
	return st, nil
}

// cached answers from the last attestation when it is still valid, or
// from a recent failure; ok is false when a new attestation is needed.
func (a *attestor) cached() (*attestation, error, bool) {
	now := a.g.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cur != nil && now.Before(a.cur.expires) {
		return a.cur, nil, true
	}
	if a.failed != nil && now.Sub(a.failedAt) < attestRetryAfter && now.Sub(a.failedAt) >= 0 {
		return nil, a.failed, true
	}
	return nil, nil, false
}

// attest fetches fresh evidence over a new TLS connection to the upstream,
// binds it to that connection's key and the nonce, and verifies every
// evidence kind the config requires.
// evidenceTimeout bounds one evidence fetch, body included: a document is
// a few kilobytes, and a stalled endpoint must fail the attestation, not
// hold it (and the requests waiting on it) forever.
const evidenceTimeout = 30 * time.Second

func (a *attestor) attest(ctx context.Context) (*attestation, error) {
	fail := func(check string, err error) error {
		return &attestFailure{upstream: a.up.Name, check: check, err: err}
	}
	nonce := make([]byte, attest.NonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	var (
		seenMu sync.Mutex
		seen   []byte
	)
	cfg := a.tlsCfg.Clone()
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		h, err := spkiHash(cs)
		if err != nil {
			return err
		}
		seenMu.Lock()
		seen = h
		seenMu.Unlock()
		return nil
	}
	tr := &http.Transport{Proxy: nil, TLSClientConfig: cfg, DisableKeepAlives: true,
		ResponseHeaderTimeout: time.Duration(a.g.cfg.Timeout)}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.up.Attestation.EvidenceURL+"?nonce="+hex.EncodeToString(nonce), nil)
	if err != nil {
		return nil, fail(checkFetch, err)
	}
	req.Header.Set("Accept", "application/json")
	// No redirects: the evidence must come from the upstream's own
	// listener, whose key is the one being bound and pinned.
	client := &http.Client{Transport: tr, Timeout: evidenceTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fail(checkFetch, fmt.Errorf("fetching evidence from %s: %v", a.up.Attestation.EvidenceURL, unwrapURLError(err)))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fail(checkFetch, fmt.Errorf("evidence endpoint %s answered HTTP %d", a.up.Attestation.EvidenceURL, resp.StatusCode))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, attest.MaxDocumentSize+1))
	if err != nil {
		return nil, fail(checkFetch, fmt.Errorf("reading evidence: %v", err))
	}
	seenMu.Lock()
	pin := seen
	seenMu.Unlock()
	if pin == nil {
		return nil, fail(checkTLSKey, errors.New("the evidence did not come over TLS"))
	}
	doc, err := attest.ParseDocument(data, nonce)
	if err != nil {
		return nil, fail(attest.CheckOf(err), err)
	}
	binding := attest.Binding(pin, nonce)
	now := a.g.now()
	pol := a.pol
	var next attest.CollateralGetter
	if a.up.Attestation.Collateral == CollateralFetch {
		next = a.g.collateralFetcher()
		pol.SNP.CheckRevocations = true
	}
	dg := attest.DocumentGetter{Doc: doc, Next: next}
	if a.up.Attestation.Collateral != CollateralNone {
		pol.SNP.Getter = dg
		pol.TDX.Getter = dg.Collateral()
	}
	st := &attestation{pin: pin, verifiedAt: now, expires: now.Add(a.maxAge)}
	for _, kind := range a.up.Attestation.Evidence {
		ev, ok := doc.Get(kind)
		if !ok {
			return nil, fail(attest.CheckEvidence, fmt.Errorf("%w: the evidence document has no %s evidence", attest.ErrUnverified, kind))
		}
		res, err := attest.Verify(ctx, ev, pol, binding, now)
		if err != nil {
			check := attest.CheckOf(err)
			if check == "" {
				check = attest.CheckEvidence
			}
			return nil, fail(check, err)
		}
		st.results = append(st.results, res)
	}
	return st, nil
}

// unwrapURLError drops net/http's "Get \"url\": " prefix.
func unwrapURLError(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}

// vendorClient fetches JWKS and collateral from vendors (NVIDIA, AMD,
// Intel).
func (g *Gateway) vendorGet(ctx context.Context, url string) (http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, err
	}
	resp, err := g.vendor.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("%s answered HTTP %d", url, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp.Header, b, err
}

// collateralFetcher fetches AMD KDS / Intel PCS answers, cached for the
// life of the process (they are signed and carry their own validity).
func (g *Gateway) collateralFetcher() attest.CollateralGetter {
	return collateralGetter{g}
}

type collateralGetter struct{ g *Gateway }

func (c collateralGetter) Get(url string) (map[string][]string, []byte, error) {
	g := c.g
	g.vendorMu.Lock()
	if e, ok := g.vendorCache[url]; ok {
		g.vendorMu.Unlock()
		return e.h, e.b, nil
	}
	g.vendorMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, b, err := g.vendorGet(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	g.vendorMu.Lock()
	g.vendorCache[url] = cachedAnswer{h, b}
	g.vendorMu.Unlock()
	return h, b, nil
}

type cachedAnswer struct {
	h http.Header
	b []byte
}

// jwks is the GPU token key set from models.attestation.jwks_url,
// fetched on first use and again (at most once a minute) when a token
// names an unknown kid, so a key rotation is picked up.
func (g *Gateway) jwks() attest.KeySet {
	var (
		mu      sync.Mutex
		keys    attest.StaticKeySet
		fetched time.Time
	)
	return attest.KeySetFunc(func(ctx context.Context, kid string) (crypto.PublicKey, error) {
		mu.Lock()
		defer mu.Unlock()
		if k, ok := keys[kid]; ok {
			return k, nil
		}
		url := g.pol.Models.Attestation.JWKSURL
		if url == "" {
			return nil, errors.New("models.attestation.jwks_url is empty: no GPU token can be verified")
		}
		if !fetched.IsZero() && g.now().Sub(fetched) < time.Minute {
			return nil, fmt.Errorf("no key with kid %q in %s", kid, url)
		}
		_, b, err := g.vendorGet(ctx, url)
		if err != nil {
			return nil, fmt.Errorf("fetching the JWKS: %w", err)
		}
		set, err := attest.ParseJWKS(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", url, err)
		}
		keys, fetched = set, g.now()
		if k, ok := keys[kid]; ok {
			return k, nil
		}
		return nil, fmt.Errorf("no key with kid %q in %s", kid, url)
	})
}

// AttestationReport is the outcome of attesting one confidential upstream
// now (Gateway.Attest), for `warden gateway attest`.
type AttestationReport struct {
	Upstream string `json:"upstream"`
	Verified bool   `json:"verified"`
	// Check names what failed (attest.Check*, "fetch", "tls_key").
	Check string `json:"check,omitempty"`
	Error string `json:"error,omitempty"`
	// Evidence is what verified, kind by kind.
	Evidence []attest.Result `json:"evidence,omitempty"`
	// TLSKeySHA256 is the hex SHA-256 of the pinned TLS public key.
	TLSKeySHA256 string    `json:"tls_key_sha256,omitempty"`
	Expires      time.Time `json:"expires,omitzero"`
}

// Attest attests every confidential upstream now, in config order, and
// reports each outcome; the results are cached as a request's would be.
func (g *Gateway) Attest(ctx context.Context) []AttestationReport {
	var out []AttestationReport
	for i := range g.cfg.Upstreams {
		a := g.attestors[g.cfg.Upstreams[i].Name]
		if a == nil {
			continue
		}
		r := AttestationReport{Upstream: a.up.Name}
		st, err := a.refresh(ctx)
		var f *attestFailure
		switch {
		case err == nil:
			r.Verified, r.Evidence, r.Expires = true, st.results, st.expires
			r.TLSKeySHA256 = hex.EncodeToString(st.pin)
		case errors.As(err, &f):
			r.Check, r.Error = f.check, f.err.Error()
		default:
			r.Check, r.Error = checkFetch, err.Error()
		}
		out = append(out, r)
	}
	return out
}
