package attest

import (
	"context"
	"time"
)

// TDXPolicy configures Intel TDX verification.
type TDXPolicy struct {
	// MRTDs is the allowlist of MRTD values (48 bytes).
	MRTDs [][]byte
}

func verifyTDX(_ context.Context, _ []byte, _ TDXPolicy, _ []byte, _ time.Time) (Result, error) {
	return Result{}, failf(KindTDX, "TDX quote verification is not implemented yet")
}
