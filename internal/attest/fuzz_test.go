package attest

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	sevdata "github.com/google/go-sev-guest/verify/testdata"
	tdxdata "github.com/google/go-tdx-guest/testing/testdata"
)

// FuzzVerify feeds arbitrary bytes as each kind of evidence: nothing
// panics, and nothing but the untouched genuine vectors ever verifies
// (the policy allows every measurement a mutated input could claim only
// through a valid signature, which mutation breaks).
func FuzzVerify(f *testing.F) {
	f.Add(uint8(0), sevdata.AttestationBytes)
	f.Add(uint8(1), tdxdata.RawQuote)
	f.Add(uint8(2), []byte("eyJhbGciOiJFUzM4NCIsImtpZCI6ImsifQ.e30.AAAA"))
	f.Add(uint8(1), []byte{4, 0, 2, 0, 0x81, 0, 0, 0})
	binding := sha256.Sum256([]byte("k"))
	pol := Policy{
		SNP:    SNPPolicy{Measurements: [][]byte{make([]byte, 48)}},
		TDX:    TDXPolicy{MRTDs: [][]byte{make([]byte, 48)}},
		NVIDIA: NVIDIAPolicy{Keys: StaticKeySet{}, Issuer: "i", Measurements: [][]byte{{1}}},
	}
	kinds := []string{KindSEVSNP, KindTDX, KindNVIDIAEAT}
	f.Fuzz(func(t *testing.T, k uint8, raw []byte) {
		kind := kinds[int(k)%len(kinds)]
		res, err := Verify(context.Background(), Evidence{Kind: kind, Raw: raw}, pol, binding[:], time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		if err == nil {
			t.Fatalf("fuzzed %s evidence verified: %+v", kind, res)
		}
	})
}
