package attest

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/logger"
)

// TestLibraryLogsQuiet: go-tdx-guest's init points google/logger at
// stdout; quietlog's init must win, so a library warning prints nothing.
// Checked in a child process, whose stdout and stderr are captured whole.
func TestLibraryLogsQuiet(t *testing.T) {
	if os.Getenv("WARDEN_QUIETLOG_CHILD") == "1" {
		logger.Warning("probe-warning")
		logger.Info("probe-info")
		logger.V(2).Info("probe-verbose")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLibraryLogsQuiet$", "-test.v")
	cmd.Env = append(os.Environ(), "WARDEN_QUIETLOG_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "probe") {
		t.Errorf("library logger output reached stdout/stderr:\n%s", out)
	}
	if !strings.Contains(string(out), "PASS") {
		t.Errorf("child did not run the probe:\n%s", out)
	}
}
