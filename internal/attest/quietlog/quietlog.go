// Package quietlog silences github.com/google/logger, which go-sev-guest
// and go-tdx-guest log through. The first logger.Init wins for the whole
// process, and go-tdx-guest's own init points it at os.Stdout, which would
// mix library warnings into warden's output (JSON, SARIF, hook answers).
// Imported for its side effect by internal/attest, this package's init
// runs before go-tdx-guest's: it depends on nothing but the logger, so Go's
// initialization order (dependencies first, then import path order among
// the ready packages) reaches it before go-tdx-guest/verify, whose
// protobuf dependencies sort after it. TestQuiet proves it.
//
// Errors still go to stderr (the logger always adds it); warnings and
// informational lines go nowhere: the verifier reports what matters as
// errors.
package quietlog

import (
	"io"

	"github.com/google/logger"
)

func init() {
	logger.Init("warden", false, false, io.Discard)
}
