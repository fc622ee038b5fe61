package attest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBinding(t *testing.T) {
	spki := sha256.Sum256([]byte("spki"))
	nonce := bytes.Repeat([]byte{7}, NonceSize)
	// SHA-256 of the domain, the key hash and the nonce, in that order.
	want := sha256.Sum256(append(append([]byte("warden-attestation-v1\n"), spki[:]...), nonce...))
	if got := Binding(spki[:], nonce); !bytes.Equal(got, want[:]) {
		t.Errorf("Binding = %x, want %x", got, want)
	}
	other := bytes.Repeat([]byte{8}, NonceSize)
	if bytes.Equal(Binding(spki[:], nonce), Binding(spki[:], other)) {
		t.Error("the binding does not depend on the nonce")
	}
	otherKey := sha256.Sum256([]byte("other"))
	if bytes.Equal(Binding(spki[:], nonce), Binding(otherKey[:], nonce)) {
		t.Error("the binding does not depend on the key")
	}
}

func docJSON(t *testing.T, nonce []byte, edit func(map[string]any)) []byte {
	t.Helper()
	d := map[string]any{
		"version": 1, "nonce": hex.EncodeToString(nonce),
		"evidence": []any{
			map[string]any{"kind": "sev-snp", "data": base64.StdEncoding.EncodeToString([]byte("report"))},
			map[string]any{"kind": "nvidia-eat", "data": base64.StdEncoding.EncodeToString([]byte("token"))},
		},
		"collateral": []any{map[string]any{"url": "https://kdsintf.amd.com/vcek/v1/Milan/x", "headers": map[string]any{"A": []string{"b"}},
			"body": base64.StdEncoding.EncodeToString([]byte("vcek"))}},
	}
	if edit != nil {
		edit(d)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseDocument(t *testing.T) {
	nonce := bytes.Repeat([]byte{0x42}, NonceSize)
	d, err := ParseDocument(docJSON(t, nonce, nil), nonce)
	if err != nil {
		t.Fatalf("good document: %v", err)
	}
	ev, ok := d.Get(KindNVIDIAEAT)
	if !ok || string(ev.Raw) != "token" {
		t.Errorf("Get(nvidia-eat) = %+v %v", ev, ok)
	}
	if _, ok := d.Get(KindTDX); ok {
		t.Error("Get(tdx) found evidence that is not there")
	}
	g := DocumentGetter{Doc: d}
	h, body, err := g.GetWithHeaders("https://kdsintf.amd.com/vcek/v1/Milan/x")
	if err != nil || string(body) != "vcek" || !cmp.Equal(h, map[string][]string{"A": {"b"}}) {
		t.Errorf("collateral = %v %q %v", h, body, err)
	}
	if _, err := g.Get("https://kdsintf.amd.com/other"); err == nil || !strings.Contains(err.Error(), "fetching collateral is off") {
		t.Errorf("missing collateral: %v", err)
	}

	tests := []struct {
		name  string
		edit  func(map[string]any)
		raw   string
		check string
		want  string
	}{
		{name: "other nonce", edit: func(m map[string]any) { m["nonce"] = strings.Repeat("00", 32) }, check: CheckBinding, want: "another nonce"},
		{name: "no nonce", edit: func(m map[string]any) { delete(m, "nonce") }, check: CheckBinding, want: "another nonce"},
		{name: "version 2", edit: func(m map[string]any) { m["version"] = 2 }, check: CheckEvidence, want: "version 2"},
		{name: "no evidence", edit: func(m map[string]any) { m["evidence"] = []any{} }, check: CheckEvidence, want: "no evidence"},
		{name: "unknown kind", edit: func(m map[string]any) {
			m["evidence"] = []any{map[string]any{"kind": "sgx", "data": "AA=="}}
		}, check: CheckEvidence, want: "unknown kind"},
		{name: "kind twice", edit: func(m map[string]any) {
			m["evidence"] = []any{map[string]any{"kind": "tdx", "data": "AA=="}, map[string]any{"kind": "tdx", "data": "AA=="}}
		}, check: CheckEvidence, want: "twice"},
		{name: "empty data", edit: func(m map[string]any) {
			m["evidence"] = []any{map[string]any{"kind": "tdx", "data": ""}}
		}, check: CheckEvidence, want: "empty data"},
		{name: "data not base64", edit: func(m map[string]any) {
			m["evidence"] = []any{map[string]any{"kind": "tdx", "data": "!!"}}
		}, check: CheckEvidence, want: "not valid JSON"},
		{name: "unknown field", edit: func(m map[string]any) { m["extra"] = true }, check: CheckEvidence, want: "unknown field"},
		{name: "collateral over http", edit: func(m map[string]any) {
			m["collateral"] = []any{map[string]any{"url": "http://x", "body": "AA=="}}
		}, check: CheckEvidence, want: "not an https URL"},
		{name: "trailing data", raw: string(docJSON(t, nonce, nil)) + "{}", check: CheckEvidence, want: "trailing"},
		{name: "too large", raw: strings.Repeat(" ", MaxDocumentSize+1), check: CheckEvidence, want: "over the"},
		{name: "not JSON", raw: "<html>", check: CheckEvidence, want: "not valid JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := []byte(tc.raw)
			if tc.raw == "" {
				raw = docJSON(t, nonce, tc.edit)
			}
			_, err := ParseDocument(raw, nonce)
			if err == nil || !errors.Is(err, ErrUnverified) || CheckOf(err) != tc.check || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseDocument error = %v (check %q), want check %q containing %q", err, CheckOf(err), tc.check, tc.want)
			}
		})
	}
}

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func TestParseJWKS(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	raw, _ := ec.PublicKey.Bytes()
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecJWK := map[string]string{"kty": "EC", "crv": "P-384", "kid": "ec1", "use": "sig", "x": b64u(raw[1:49]), "y": b64u(raw[49:])}
	rsaJWK := map[string]string{"kty": "RSA", "kid": "rsa1", "n": b64u(rk.N.Bytes()), "e": b64u(big.NewInt(int64(rk.E)).Bytes())}
	set := func(keys ...any) []byte { b, _ := json.Marshal(map[string]any{"keys": keys}); return b }
	ks, err := ParseJWKS(set(ecJWK, rsaJWK))
	if err != nil {
		t.Fatalf("good JWKS: %v", err)
	}
	if k, ok := ks["ec1"].(*ecdsa.PublicKey); !ok || !k.Equal(&ec.PublicKey) {
		t.Errorf("ec1 = %#v", ks["ec1"])
	}
	if k, ok := ks["rsa1"].(*rsa.PublicKey); !ok || !k.Equal(&rk.PublicKey) {
		t.Errorf("rsa1 = %#v", ks["rsa1"])
	}
	with := func(base map[string]string, k, v string) map[string]string {
		c := map[string]string{}
		for a, b := range base {
			c[a] = b
		}
		if v == "" {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"not JSON":       {[]byte("nope"), "not valid JSON"},
		"no keys":        {set(), "no keys"},
		"no kid":         {set(with(ecJWK, "kid", "")), "no kid"},
		"kid twice":      {set(ecJWK, with(rsaJWK, "kid", "ec1")), "twice"},
		"encryption key": {set(with(ecJWK, "use", "enc")), "not sig"},
		"symmetric key":  {set(map[string]string{"kty": "oct", "kid": "h", "k": "AAAA"}), "not EC or RSA"},
		"unknown curve":  {set(with(ecJWK, "crv", "P-192")), "curve"},
		"short x":        {set(with(ecJWK, "x", b64u(raw[1:10]))), "48 bytes"},
		"off the curve":  {set(with(ecJWK, "y", b64u(bytes.Repeat([]byte{1}, 48)))), "keys[0]"},
		"small RSA":      {set(with(rsaJWK, "n", b64u(small.N.Bytes()))), "too short"},
		"even exponent":  {set(with(rsaJWK, "e", b64u([]byte{2}))), "exponent"},
	} {
		if _, err := ParseJWKS(tc.data); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, tc.want)
		}
	}
}

// FuzzParseDocument: no input panics, and whatever parses names only
// known kinds, each once, with data, and answers the nonce.
func FuzzParseDocument(f *testing.F) {
	nonce := bytes.Repeat([]byte{0x42}, NonceSize)
	f.Add([]byte(`{"version":1,"nonce":"` + hex.EncodeToString(nonce) + `","evidence":[{"kind":"tdx","data":"AAEC"}]}`))
	f.Add([]byte(`{"version":1,"nonce":"` + hex.EncodeToString(nonce) + `","evidence":[{"kind":"sev-snp","data":"AA=="}],"collateral":[{"url":"https://a/b","body":"AA=="}]}`))
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDocument(data, nonce)
		if err != nil {
			if !errors.Is(err, ErrUnverified) {
				t.Fatalf("error does not wrap ErrUnverified: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, e := range d.Evidence {
			if seen[e.Kind] || len(e.Data) == 0 || (e.Kind != KindSEVSNP && e.Kind != KindTDX && e.Kind != KindNVIDIAEAT) {
				t.Fatalf("accepted bad evidence entry %+v", e)
			}
			seen[e.Kind] = true
		}
		if len(seen) == 0 || !strings.EqualFold(d.Nonce, hex.EncodeToString(nonce)) {
			t.Fatalf("accepted %+v", d)
		}
	})
}

// FuzzParseJWKS: no input panics; every accepted key is an EC or RSA
// public key under a non-empty kid.
func FuzzParseJWKS(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","kid":"a","x":"AAAA","y":"AAAA"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","kid":"r","n":"AQAB","e":"AQAB"}]}`))
	f.Add([]byte(`{"keys":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ks, err := ParseJWKS(data)
		if err != nil {
			return
		}
		for kid, k := range ks {
			switch k.(type) {
			case *ecdsa.PublicKey, *rsa.PublicKey:
			default:
				t.Fatalf("kid %q: accepted %T", kid, k)
			}
			if kid == "" {
				t.Fatal("accepted an empty kid")
			}
		}
	})
}
