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

// The shared page holds, besides the seal flag (word 0), what appenders
// need to decide whether to seal (sealDue) without a system call:
//
//	word 1: the journal offset up to which the last sealer sealed
//	word 2: when that sealer read the journal (unix ns): every record
//	        written before then is sealed
//	word 3: set by an appender that found sealing due but left it to the
//	        holder of the lock (the holder then looks again, see sealLoop)
//	word 4: bytes of records appended to the journal, ever (each appender
//	        adds its record's size after writing it)
//	word 5: word 4 as the last sealer read it before reading the journal:
//	        word 4 minus word 5 is (at least) what waits to be sealed
//
// The words are hints for scheduling work, never trusted for integrity:
// a missing, zero, inconsistent or future value makes appenders seal, and
// the time bound (word 2) holds whatever the counters say.
const (
	wordFlag = iota
	wordSealedOffset
	wordSealedAt
	wordWanted
	wordAppended
	wordSealedCount
)

func (l *Log) flagWord() *int64 { return l.pageWord(wordFlag) }

func (l *Log) pageWord(i int) *int64 {
	return (*int64)(unsafe.Pointer(&l.flag[8*i]))
}

// onPage runs f with the shared page mapped and read-locked and returns
// its answer, or otherwise when there is no page or reading it faults:
// someone truncating the lock file under us must not crash the process.
func onPage[T any](l *Log, otherwise T, f func() T) (v T) {
	l.flagMu.RLock()
	defer l.flagMu.RUnlock()
	if l.flag == nil {
		return otherwise
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if recover() != nil {
			v = otherwise
		}
	}()
	return f()
}

// addAppended adds n bytes to the appended counter and returns the bytes
// appended since the last seal read the journal (-1: unknown).
func (l *Log) addAppended(n int) int64 {
	return onPage(l, -1, func() int64 {
		total := atomic.AddInt64(l.pageWord(wordAppended), int64(n))
		return total - atomic.LoadInt64(l.pageWord(wordSealedCount))
	})
}

// appendedDue adds an appender's record of n bytes to the appended
// counter and reports whether sealing is due (sealDue), reading the page
// once for both.
func (l *Log) appendedDue(n int) bool {
	if l.sealBytes <= 1 {
		l.addAppended(n)
		return true
	}
	return onPage(l, true, func() bool {
		total := atomic.AddInt64(l.pageWord(wordAppended), int64(n))
		return l.dueLocked(total - atomic.LoadInt64(l.pageWord(wordSealedCount)))
	})
}

// appended reads the appended counter (0 when there is no page).
func (l *Log) appended() int64 {
	return onPage(l, 0, func() int64 { return atomic.LoadInt64(l.pageWord(wordAppended)) })
}

// sealDue reports whether an appender seals now, pending being the bytes
// appended since the last seal read the journal (-1: unknown): when at
// least sealBytes wait (it seals a batch), or when the last seal read the
// journal sealAfter ago or more (so no record waits longer than that while
// appends go on), or when a due writer left its record to a sealer that
// stopped (wanted), or when the page cannot tell.
func (l *Log) sealDue(pending int64) bool {
	if l.sealBytes <= 1 || pending < 0 || pending >= l.sealBytes {
		return true
	}
	return onPage(l, true, func() bool { return l.dueLocked(pending) })
}

// dueLocked is sealDue with the page mapped and read-locked (and faults
// recovered by the caller).
func (l *Log) dueLocked(pending int64) bool {
	if pending < 0 || pending >= l.sealBytes {
		return true
	}
	if atomic.LoadInt64(l.pageWord(wordWanted)) != 0 {
		return true // a due writer's record waits for a sealer
	}
	at := atomic.LoadInt64(l.pageWord(wordSealedAt))
	if at == 0 {
		return true
	}
	age := l.opts.Now().UnixNano() - at
	// A sealer may have read the clock a little after this appender; a
	// last seal far in the future is a clock that jumped, or a forged
	// page: seal.
	return age >= int64(l.sealAfter) || age < -int64(l.sealAfter)
}

// publishSealed records in the page that every journal record written
// before at, and counted in appended, is sealed, up to offset. Called
// holding the seal lock.
func (l *Log) publishSealed(offset, appended int64, at time.Time) {
	onPage(l, struct{}{}, func() struct{} {
		atomic.StoreInt64(l.pageWord(wordSealedOffset), offset)
		atomic.StoreInt64(l.pageWord(wordSealedCount), appended)
		atomic.StoreInt64(l.pageWord(wordSealedAt), at.UnixNano())
		return struct{}{}
	})
}

// setWanted says a due appender left its record to the lock's holder.
func (l *Log) setWanted() {
	onPage(l, struct{}{}, func() struct{} {
		if atomic.LoadInt64(l.pageWord(wordWanted)) == 0 {
			atomic.StoreInt64(l.pageWord(wordWanted), 1)
		}
		return struct{}{}
	})
}

// takeWanted clears the wanted word and reports whether it was set (true
// also when the page cannot tell).
func (l *Log) takeWanted() bool {
	return onPage(l, true, func() bool { return atomic.SwapInt64(l.pageWord(wordWanted), 0) != 0 })
}

// sealerActive reports whether a sealer holds the lock (a fresh flag; no
// page, or a fault reading it, is "no flag").
func (l *Log) sealerActive() bool {
	return onPage(l, false, func() bool {
		v := atomic.LoadInt64(l.flagWord())
		if v == 0 {
			return false
		}
		d := time.Now().UnixNano() - v
		return d < int64(sealFlagFresh) && d > -int64(sealFlagFresh)
	})
}

// setSealFlag stores the flag (now, or 0 to clear it). Called holding the
// seal lock.
func (l *Log) setSealFlag(set bool) {
	onPage(l, struct{}{}, func() struct{} {
		var v int64
		if set {
			v = time.Now().UnixNano()
		}
		atomic.StoreInt64(l.flagWord(), v)
		return struct{}{}
	})
}

// journalPending reports whether a journal of size bytes holds records past
// the last published seal (true when the page cannot tell).
func (l *Log) journalPending(size int64) bool {
	return onPage(l, true, func() bool {
		off := atomic.LoadInt64(l.pageWord(wordSealedOffset))
		return off <= 0 || size != off
	})
}
