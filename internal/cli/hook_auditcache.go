package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"sync"

	"github.com/wardenhq/warden/internal/audit"
)

// auditLogs keeps the guard server's audit logs open between requests
// (opening one costs several system calls and a mapping, and closing it an
// unmapping, on every decision otherwise), as the gateway keeps its own.
// A log is shared by the requests whose policy (by content), log path and
// signing key (by content) are the same. audit.Log is made for long-lived
// writers: it re-reads the chain's tail under the seal lock and follows a
// rotation by another process. What it cannot follow is its lock file
// being removed or replaced (the audit directory deleted): every request
// checks that, and opens the log afresh when it changed, so the decision is
// recorded where `warden hook` would record it.
type auditLogs struct {
	mu sync.Mutex
	m  map[auditLogKey]*sharedLog
}

type auditLogKey struct {
	path string
	hp   *hookPolicy // the policy whose audit options opened the log
	key  string      // the signing key's path and content hash; "" none
}

type sharedLog struct {
	log   *audit.Log
	lock  os.FileInfo // the lock file it holds
	users int
	gone  bool // no longer in the map: closed by its last user
}

// maxOpenAuditLogs bounds the open logs (one per repository and policy
// version seen); when full, those not in use are closed.
const maxOpenAuditLogs = 32

// open returns the audit log for a decision in the repository at root
// under hp, and the function that releases it.
func (a *auditLogs) open(e *Env, hp *hookPolicy, root string) (*audit.Log, func(), error) {
	eff := hp.eff
	path := auditLogPath(eff, root, "")
	lockPath := path + ".lock"
	keyID, cacheable := signingKeyID(e, hp, root)
	k := auditLogKey{path: path, hp: hp, key: keyID}
	if cacheable {
		fi, err := os.Stat(lockPath)
		a.mu.Lock()
		if s := a.m[k]; s != nil {
			if err == nil && os.SameFile(fi, s.lock) {
				s.users++
				a.mu.Unlock()
				return s.log, a.releaser(s), nil
			}
			a.drop(k, s) // removed or replaced: open it afresh
		}
		a.mu.Unlock()
	}
	before, _ := os.Stat(lockPath)
	log, err := openAuditLog(e, eff, root)
	if err != nil {
		return nil, nil, err
	}
	plain := func() { log.Close() }
	after, err := os.Stat(lockPath)
	// Shared only when the lock file is surely the one the log holds: it
	// existed before the open and is the same file after it.
	if !cacheable || err != nil || before == nil || !os.SameFile(before, after) {
		return log, plain, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m[k] != nil {
		return log, plain, nil // another request opened it meanwhile
	}
	if a.m == nil || len(a.m) >= maxOpenAuditLogs {
		for k, s := range a.m {
			a.drop(k, s)
		}
		a.m = map[auditLogKey]*sharedLog{}
	}
	s := &sharedLog{log: log, lock: after, users: 1}
	a.m[k] = s
	return log, a.releaser(s), nil
}

// drop removes s from the map; it is closed now if unused, else by its
// last user. a.mu is held.
func (a *auditLogs) drop(k auditLogKey, s *sharedLog) {
	delete(a.m, k)
	s.gone = true
	if s.users == 0 {
		s.log.Close()
	}
}

func (a *auditLogs) releaser(s *sharedLog) func() {
	return sync.OnceFunc(func() {
		a.mu.Lock()
		s.users--
		closeIt := s.gone && s.users == 0
		a.mu.Unlock()
		if closeIt {
			s.log.Close()
		}
	})
}

// close closes every log not in use (the server is stopping).
func (a *auditLogs) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, s := range a.m {
		a.drop(k, s)
	}
}

// signingKeyID names the audit signing key auditSigner would load for this
// decision by its path, mode and content. cacheable is false when the key
// cannot be read: opening the log then reports why, every time.
func signingKeyID(e *Env, hp *hookPolicy, root string) (id string, cacheable bool) {
	p := auditKeyPath(e, hp.eff, root, "")
	if p == "" {
		return "", true
	}
	fi, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return "absent\x00" + p, true
	}
	if err != nil {
		return "", false
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return "", false
	}
	sum := sha256.Sum256(data)
	return p + "\x00" + fi.Mode().String() + "\x00" + hex.EncodeToString(sum[:]), true
}
