package audit

import (
	"runtime/debug"
	"sync/atomic"
	"time"
	"unsafe"
)

// The seal flag lets an appender skip even trying the seal lock while
// another writer holds it. It is a word in memory shared by every process
// that has the log open (the second page of the lock file, mapped shared):
// a sealer stores the time when it takes the lock (and refreshes it while
// it seals), and stores 0 before it releases the lock. An appender that
// wrote its journal record and then reads a fresh non-zero flag returns
// without a flock call: the flag was set by a holder that has not cleared
// it yet, so that holder clears it, unlocks and re-checks the journal
// after this record was written, exactly as if the appender's try had
// failed (see sealLoop). A flag left set by a sealer that was killed goes
// stale after sealFlagFresh and appenders try the lock again.
//
// It only saves a system call per append (the failed try), which is most
// of what a contended append costs beyond a plain write.

const sealFlagFresh = 2 * time.Millisecond

func (l *Log) flagWord() *int64 {
	return (*int64)(unsafe.Pointer(&l.flag[0]))
}

// sealerActive reports whether a sealer holds the lock (a fresh flag).
func (l *Log) sealerActive() (active bool) {
	l.flagMu.RLock()
	defer l.flagMu.RUnlock()
	if l.flag == nil {
		return false
	}
	// Someone truncating the lock file under us must not crash the
	// process: a fault reading the page is "no flag".
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if recover() != nil {
			active = false
		}
	}()
	v := atomic.LoadInt64(l.flagWord())
	if v == 0 {
		return false
	}
	d := time.Now().UnixNano() - v
	return d < int64(sealFlagFresh) && d > -int64(sealFlagFresh)
}

// setSealFlag stores the flag (now, or 0 to clear it). Called holding the
// seal lock.
func (l *Log) setSealFlag(set bool) {
	l.flagMu.RLock()
	defer l.flagMu.RUnlock()
	if l.flag == nil {
		return
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() { _ = recover() }()
	var v int64
	if set {
		v = time.Now().UnixNano()
	}
	atomic.StoreInt64(l.flagWord(), v)
}
