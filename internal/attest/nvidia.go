package attest

import (
	"context"
	"crypto"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// KeySet resolves a token's signing key by its kid: the issuer's JWKS
// (NVIDIA NRAS publishes one), fetched and cached by the caller.
type KeySet interface {
	Key(ctx context.Context, kid string) (crypto.PublicKey, error)
}

// StaticKeySet is a KeySet from a fixed map (tests, pinned keys).
type StaticKeySet map[string]crypto.PublicKey

// Key returns the key named kid.
func (s StaticKeySet) Key(_ context.Context, kid string) (crypto.PublicKey, error) {
	k, ok := s[kid]
	if !ok {
		return nil, fmt.Errorf("no key with kid %q", kid)
	}
	return k, nil
}

// NVIDIAPolicy configures NVIDIA GPU confidential-computing token checks.
type NVIDIAPolicy struct {
	// Keys resolves the token's signing key (required).
	Keys KeySet
	// Issuer and Audience must equal the token's iss and (one of) aud.
	// Issuer is required; Audience is checked when set.
	Issuer, Audience string
	// Measurements is the allowlist for the measurement claim (hex).
	Measurements [][]byte
	// MeasurementClaim names the claim holding the measurement (hex);
	// default "measurement".
	MeasurementClaim string
	// NonceClaim names the claim that must equal hex(binding); default
	// "eat_nonce".
	NonceClaim string
	// MaxAge bounds now - iat; default 10 minutes.
	MaxAge time.Duration
	// RequireResult, if set, names a boolean claim that must be true
	// (NRAS: "x-nvidia-overall-att-result").
	RequireResult string
}

func verifyNVIDIA(ctx context.Context, raw []byte, pol NVIDIAPolicy, binding []byte, now time.Time) (Result, error) {
	const kind = KindNVIDIAEAT
	if pol.Keys == nil {
		return Result{}, failf(kind, CheckPolicy, "policy has no key set (JWKS)")
	}
	if pol.Issuer == "" {
		return Result{}, failf(kind, CheckPolicy, "policy has no expected issuer")
	}
	if len(pol.Measurements) == 0 {
		return Result{}, failf(kind, CheckPolicy, "policy allows no measurement")
	}
	maxAge := pol.MaxAge
	if maxAge <= 0 {
		maxAge = 10 * time.Minute
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}),
		jwt.WithIssuer(pol.Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	}
	if pol.Audience != "" {
		opts = append(opts, jwt.WithAudience(pol.Audience))
	}
	claims := jwt.MapClaims{}
	tok, err := jwt.NewParser(opts...).ParseWithClaims(strings.TrimSpace(string(raw)), claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, fmt.Errorf("token has no kid")
		}
		return pol.Keys.Key(ctx, kid)
	})
	if err != nil || !tok.Valid {
		return Result{}, failf(kind, tokenCheck(err), "token: %v", err)
	}
	res := Result{Checks: []string{"signature", "issuer", "expiry"}}
	if pol.Audience != "" {
		res.Checks = append(res.Checks, "audience")
	}
	iat, err := claims.GetIssuedAt()
	if err != nil || iat == nil {
		return Result{}, failf(kind, CheckEvidence, "token has no valid iat")
	}
	if age := now.Sub(iat.Time); age > maxAge {
		return Result{}, failf(kind, CheckExpired, "token issued %s ago, more than the allowed %s", age.Round(time.Second), maxAge)
	}
	res.Checks = append(res.Checks, "age")
	if pol.RequireResult != "" {
		if v, _ := claims[pol.RequireResult].(bool); !v {
			return Result{}, failf(kind, CheckResult, "claim %q is not true", pol.RequireResult)
		}
		res.Checks = append(res.Checks, "result")
	}
	mc := pol.MeasurementClaim
	if mc == "" {
		mc = "measurement"
	}
	ms, _ := claims[mc].(string)
	m, err := ParseHex(ms)
	if err != nil || len(m) == 0 || !inAllowlist(m, pol.Measurements) {
		return Result{}, failf(kind, CheckMeasurement, "claim %q (%.96s) is not in the allowlist", mc, ms)
	}
	res.Measurement = hex.EncodeToString(m)
	res.Checks = append(res.Checks, "measurement")
	nc := pol.NonceClaim
	if nc == "" {
		nc = "eat_nonce"
	}
	nonce, _ := claims[nc].(string)
	want := hex.EncodeToString(binding)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(nonce)), []byte(want)) != 1 {
		return Result{}, failf(kind, CheckBinding, "claim %q does not equal the TLS key binding: the token is not bound to this connection", nc)
	}
	res.Checks = append(res.Checks, "binding")
	res.Issuer, _ = claims.GetIssuer()
	res.Subject, _ = claims.GetSubject()
	return res, nil
}
