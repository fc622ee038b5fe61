package archtest

import (
	"strings"
	"testing"
)

// TestThinHookClientStaysThin: warden-hook's start-up is the hook's
// latency, so cmd/warden-hook and internal/hookrpc link only the standard
// library (and hookrpc), and never package net, whose cgo resolver makes a
// cgo build load the C library dynamically at every start.
func TestThinHookClientStaysThin(t *testing.T) {
	pkgs := loadPackages(t, repoRoot(t))
	for _, dir := range []string{"cmd/warden-hook", "internal/hookrpc"} {
		p := pkgs[dir]
		if p == nil {
			t.Fatalf("%s not found", dir)
		}
		for ip, files := range p.imports {
			first, _, _ := strings.Cut(ip, "/")
			switch {
			case ip == module+"/internal/hookrpc":
			case strings.Contains(first, "."):
				t.Errorf("%s imports %s (%v): the thin client links only the standard library", dir, ip, files)
			case ip == "net" || strings.HasPrefix(ip, "net/") || ip == "os/user" || ip == "C":
				t.Errorf("%s imports %s (%v): it would link the C library dynamically", dir, ip, files)
			}
		}
	}
}
