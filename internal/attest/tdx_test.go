package attest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
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
