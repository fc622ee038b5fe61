package attest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestVerifyNVIDIA(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	k256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	stranger, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	keys := StaticKeySet{"k256": k256.Public(), "k384": k384.Public()}
	binding := sha256.Sum256([]byte("server TLS public key"))
	meas := strings.Repeat("5a", 48)

	base := func() jwt.MapClaims {
		return jwt.MapClaims{
			"iss": "https://nras.attestation.nvidia.com", "aud": "warden", "sub": "gpu-0",
			"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
			"eat_nonce": hex.EncodeToString(binding[:]), "measurement": meas,
			"x-nvidia-overall-att-result": true,
		}
	}
	sign := func(m jwt.SigningMethod, kid string, key crypto.Signer, edit func(jwt.MapClaims)) []byte {
		c := base()
		if edit != nil {
			edit(c)
		}
		tok := jwt.NewWithClaims(m, c)
		if kid != "" {
			tok.Header["kid"] = kid
		}
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return []byte(s)
	}
	pol := Policy{NVIDIA: NVIDIAPolicy{
		Keys: keys, Issuer: "https://nras.attestation.nvidia.com", Audience: "warden",
		Measurements: [][]byte{mustHex(t, meas)}, RequireResult: "x-nvidia-overall-att-result",
	}}
	tests := []struct {
		name, wantErr string
		raw           []byte
	}{
		{name: "ES256 good", raw: sign(jwt.SigningMethodES256, "k256", k256, nil)},
		{name: "ES384 good", raw: sign(jwt.SigningMethodES384, "k384", k384, nil)},
		{name: "unknown signer", raw: sign(jwt.SigningMethodES384, "k384", stranger, nil), wantErr: "token"},
		{name: "unknown kid", raw: sign(jwt.SigningMethodES384, "other", k384, nil), wantErr: "no key with kid"},
		{name: "no kid", raw: sign(jwt.SigningMethodES384, "", k384, nil), wantErr: "no kid"},
		{name: "wrong issuer", raw: sign(jwt.SigningMethodES384, "k384", k384, func(c jwt.MapClaims) { c["iss"] = "https://evil" }), wantErr: "token"},
		{name: "wrong audience", raw: sign(jwt.SigningMethodES384, "k384", k384, func(c jwt.MapClaims) { c["aud"] = "someone" }), wantErr: "token"},
		{name: "expired", raw: sign(jwt.SigningMethodES384, "k384", k384, func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Second).Unix() }), wantErr: "token"},
		{name: "no exp", raw: sign(jwt.SigningMethodES384, "k384", k384, func(c jwt.MapClaims) { delete(c, "exp") }), wantErr: "token"},
		{name: "too old", raw: sign(jwt.SigningMethodES384, "k384", k384, func(c jwt.MapClaims) { c["iat"] = now.Add(-time.Hour).Unix() }), wantErr: "issued"},
		{name: "issued in the future", raw: sign(jwt.SigningMethodES384, "k384", k384, func(c jwt.MapClaims) { c["iat"] = now.Add(time.Hour).Unix() }), wantErr: "token"},
		{name: "overall result false", raw: sign(jwt.SigningMethodES384, "k384", k384, func(c jwt.MapClaims) { c["x-nvidia-overall-att-result"] = false }), wantErr: "is not true"},
		{name: "measurement not allowed", raw: sign(jwt.SigningMethodES384, "k384", k384, func(c jwt.MapClaims) { c["measurement"] = strings.Repeat("00", 48) }), wantErr: "allowlist"},
		{name: "measurement missing", raw: sign(jwt.SigningMethodES384, "k384", k384, func(c jwt.MapClaims) { delete(c, "measurement") }), wantErr: "allowlist"},
		{name: "nonce for another key", raw: sign(jwt.SigningMethodES384, "k384", k384, func(c jwt.MapClaims) { c["eat_nonce"] = strings.Repeat("00", 32) }), wantErr: "binding"},
		{name: "HS256 refused", raw: func() []byte {
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, base())
			tok.Header["kid"] = "k384"
			s, _ := tok.SignedString([]byte("secret"))
			return []byte(s)
		}(), wantErr: "token"},
		{name: "alg none refused", raw: func() []byte {
			tok := jwt.NewWithClaims(jwt.SigningMethodNone, base())
			tok.Header["kid"] = "k384"
			s, _ := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
			return []byte(s)
		}(), wantErr: "token"},
		{name: "garbage", raw: []byte("not.a.jwt"), wantErr: "token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Verify(context.Background(), Evidence{Kind: KindNVIDIAEAT, Raw: tc.raw}, pol, binding[:], now)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if res.Measurement != meas || res.Subject != "gpu-0" || !contains(res.Checks, "binding") || !contains(res.Checks, "audience") {
					t.Errorf("result = %+v", res)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrUnverified) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Verify error = %v, want ErrUnverified containing %q", err, tc.wantErr)
			}
		})
	}

	// A policy without keys or issuer verifies nothing.
	for name, p := range map[string]NVIDIAPolicy{
		"no keys":   {Issuer: "x", Measurements: pol.NVIDIA.Measurements},
		"no issuer": {Keys: keys, Measurements: pol.NVIDIA.Measurements},
		"no allow":  {Keys: keys, Issuer: "https://nras.attestation.nvidia.com"},
	} {
		if _, err := Verify(context.Background(), Evidence{Kind: KindNVIDIAEAT, Raw: sign(jwt.SigningMethodES384, "k384", k384, nil)}, Policy{NVIDIA: p}, binding[:], now); !errors.Is(err, ErrUnverified) {
			t.Errorf("%s: Verify error = %v, want ErrUnverified", name, err)
		}
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := ParseHex(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
