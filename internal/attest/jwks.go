package attest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
)

// ParseJWKS reads a JSON Web Key Set (RFC 7517) of signature keys: EC
// (P-256, P-384, P-521) and RSA (at least 2048 bits). Keys without a kid,
// for encryption ("use": "enc"), of another type or malformed are errors,
// so a set is accepted whole or not at all.
func ParseJWKS(data []byte) (StaticKeySet, error) {
	var set struct {
		Keys []struct {
			Kty string `json:"kty"`
			Kid string `json:"kid"`
			Use string `json:"use"`
			Crv string `json:"crv"`
			X   string `json:"x"`
			Y   string `json:"y"`
			N   string `json:"n"`
			E   string `json:"e"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("JWKS is not valid JSON: %w", err)
	}
	if len(set.Keys) == 0 {
		return nil, fmt.Errorf("JWKS has no keys")
	}
	out := StaticKeySet{}
	for i, k := range set.Keys {
		if k.Kid == "" {
			return nil, fmt.Errorf("JWKS keys[%d]: no kid", i)
		}
		if _, dup := out[k.Kid]; dup {
			return nil, fmt.Errorf("JWKS keys[%d]: kid %q given twice", i, k.Kid)
		}
		if k.Use != "" && k.Use != "sig" {
			return nil, fmt.Errorf("JWKS keys[%d] (%s): use %q is not sig", i, k.Kid, k.Use)
		}
		var (
			pub crypto.PublicKey
			err error
		)
		switch k.Kty {
		case "EC":
			pub, err = ecKey(k.Crv, k.X, k.Y)
		case "RSA":
			pub, err = rsaKey(k.N, k.E)
		default:
			err = fmt.Errorf("kty %q is not EC or RSA", k.Kty)
		}
		if err != nil {
			return nil, fmt.Errorf("JWKS keys[%d] (%s): %w", i, k.Kid, err)
		}
		out[k.Kid] = pub
	}
	return out, nil
}

func b64url(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(s)
}

func ecKey(crv, xs, ys string) (crypto.PublicKey, error) {
	var c elliptic.Curve
	switch crv {
	case "P-256":
		c = elliptic.P256()
	case "P-384":
		c = elliptic.P384()
	case "P-521":
		c = elliptic.P521()
	default:
		return nil, fmt.Errorf("curve %q is not P-256, P-384 or P-521", crv)
	}
	x, err1 := b64url(xs)
	y, err2 := b64url(ys)
	size := (c.Params().BitSize + 7) / 8
	if err1 != nil || err2 != nil || len(x) != size || len(y) != size {
		return nil, fmt.Errorf("x and y must be base64url of %d bytes", size)
	}
	point := append(append([]byte{4}, x...), y...)
	return ecdsa.ParseUncompressedPublicKey(c, point)
}

func rsaKey(ns, es string) (crypto.PublicKey, error) {
	n, err1 := b64url(ns)
	e, err2 := b64url(es)
	if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
		return nil, fmt.Errorf("n and e must be base64url")
	}
	k := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	if k.N.BitLen() < 2048 {
		return nil, fmt.Errorf("RSA key of %d bits is too short (at least 2048)", k.N.BitLen())
	}
	if k.E < 3 || k.E%2 == 0 {
		return nil, fmt.Errorf("RSA exponent %d is not valid", k.E)
	}
	return k, nil
}

// KeySetFunc adapts a function to KeySet.
type KeySetFunc func(ctx context.Context, kid string) (crypto.PublicKey, error)

// Key calls f.
func (f KeySetFunc) Key(ctx context.Context, kid string) (crypto.PublicKey, error) {
	return f(ctx, kid)
}
