package cli

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"sync"

	"github.com/wardenhq/warden/internal/policy"
)

// policyCache keeps effective policies between the guard server's
// requests, keyed by the content of every file that makes them up (the
// repository file found by discovery or named by WARDEN_POLICY, and the
// organization baseline), so an edit to any of them is a new key and is
// loaded afresh on the very next request.
type policyCache struct {
	mu sync.Mutex
	m  map[[32]byte]*hookPolicy
}

// maxCachedPolicies bounds the cache (one entry per repository and
// policy version seen); when full it starts over.
const maxCachedPolicies = 64

func (pc *policyCache) load(dir string, getenv func(string) string) (*hookPolicy, error) {
	key, ok := policyKey(dir, getenv)
	if ok {
		pc.mu.Lock()
		hp := pc.m[key]
		pc.mu.Unlock()
		if hp != nil {
			return hp, nil
		}
	}
	hp, err := loadHookPolicy(dir, getenv)
	if err != nil || !ok {
		return hp, err
	}
	// Cache only if the files did not change while they were loaded: the
	// entry must hold the policy of exactly the content in its key.
	if again, ok := policyKey(dir, getenv); !ok || again != key {
		return hp, nil
	}
	pc.mu.Lock()
	if pc.m == nil || len(pc.m) >= maxCachedPolicies {
		pc.m = map[[32]byte]*hookPolicy{}
	}
	pc.m[key] = hp
	pc.mu.Unlock()
	return hp, nil
}

// policyKey hashes the names and content of the files loadHookPolicy
// would read for dir. ok is false when any of them cannot be read (the
// load then reports the error, and nothing is cached).
func policyKey(dir string, getenv func(string) string) (key [32]byte, ok bool) {
	h := sha256.New()
	add := func(name string) bool {
		data, err := os.ReadFile(name)
		if err != nil {
			return false
		}
		h.Write([]byte(name))
		h.Write([]byte{0})
		sum := sha256.Sum256(data)
		h.Write(sum[:])
		return true
	}
	h.Write([]byte(dir))
	h.Write([]byte{0})
	if org := orgPolicyPath(&Env{Getenv: getenv, Dir: dir}); org != "" {
		h.Write([]byte("org\x00"))
		if !add(org) {
			return key, false
		}
	}
	repo := getenv("WARDEN_POLICY")
	if repo != "" {
		if !filepath.IsAbs(repo) {
			repo = filepath.Join(dir, repo)
		}
	} else {
		name, err := policy.Discover(dir)
		if err != nil {
			return key, false
		}
		if name != "" {
			repo = filepath.Join(dir, name)
		}
	}
	h.Write([]byte("repo\x00"))
	if repo != "" && !add(repo) {
		return key, false
	}
	copy(key[:], h.Sum(nil))
	return key, true
}
