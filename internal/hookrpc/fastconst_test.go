package hookrpc

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestFastClientSpeaksThisProtocol: the C client
// (clients/warden-hook-c/warden-hook-c.c) hard-codes the protocol's magic,
// version and limits and the Go client's names and timeouts; they must be
// this package's.
func TestFastClientSpeaksThisProtocol(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "clients", "warden-hook-c", "warden-hook-c.c"))
	if err != nil {
		t.Fatal(err)
	}
	defs := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^#define (WH_\w+) (.+?)\s*(?:/\*.*)?$`).FindAllStringSubmatch(string(src), -1) {
		defs[m[1]] = m[2]
	}
	num := func(name string) int64 {
		t.Helper()
		v := defs[name]
		v = strings.ReplaceAll(v, "WH_MAX_STDIN", defs["WH_MAX_STDIN"])
		v = strings.NewReplacer("u", "", "LL", "", "(", "", ")", "").Replace(v)
		// Only the forms used: N, N << M, A + B << M.
		var total int64
		for _, term := range strings.Split(v, "+") {
			term = strings.TrimSpace(term)
			x, sh, ok := strings.Cut(term, "<<")
			a, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil {
				t.Fatalf("%s = %q: %v", name, defs[name], err)
			}
			if ok {
				b, err := strconv.Atoi(strings.TrimSpace(sh))
				if err != nil {
					t.Fatalf("%s = %q: %v", name, defs[name], err)
				}
				a <<= b
			}
			total += a
		}
		return total
	}
	str := func(name string) string {
		t.Helper()
		s, err := strconv.Unquote(defs[name])
		if err != nil {
			t.Fatalf("%s = %q: %v", name, defs[name], err)
		}
		return s
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"WH_MAGIC", str("WH_MAGIC"), magic},
		{"WH_VERSION", num("WH_VERSION"), int64(Version)},
		{"WH_MAX_STDIN", num("WH_MAX_STDIN"), int64(MaxStdin)},
		{"WH_MAX_FRAME", num("WH_MAX_FRAME"), int64(maxFrame)},
		{"WH_STATUS_OK", num("WH_STATUS_OK"), int64(OK)},
		{"WH_STATUS_STALE", num("WH_STATUS_STALE"), int64(Stale)},
		{"WH_SERVER_ENV", str("WH_SERVER_ENV"), ServerEnv},
		{"WH_FAST_ENV", str("WH_FAST_ENV"), FastEnv},
		{"WH_DEFAULT_TIMEOUT_NS", num("WH_DEFAULT_TIMEOUT_NS"), int64(defaultTimeout)},
		{"WH_ANSWER_GRACE_NS", num("WH_ANSWER_GRACE_NS"), int64(answerGrace)},
		{"WH_MAX_SOCKET_PATH", num("WH_MAX_SOCKET_PATH"), int64(maxSocketPath)},
		{"WH_SOCKET_NAME_LEN", num("WH_SOCKET_NAME_LEN"), int64(len("/hook-0123456789abcdef.sock"))},
	} {
		if c.got != c.want {
			t.Errorf("%s is %v in the C client, %v here", c.name, c.got, c.want)
		}
	}
}

func TestWithoutFastEnv(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{nil, nil},
		{[]string{"A=1", "B=2"}, []string{"A=1", "B=2"}},
		{[]string{FastEnv + "=timeout"}, []string{}},
		{[]string{"A=1", FastEnv + "=x", "B=2", FastEnv + "=y", FastEnv + "X=3"}, []string{"A=1", "B=2", FastEnv + "X=3"}},
	} {
		got := withoutFastEnv(tc.in)
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") || len(got) != len(tc.want) {
			t.Errorf("withoutFastEnv(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
