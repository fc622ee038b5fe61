//go:build unix

package audit

import (
	"os"
	"syscall"
	"time"
)

// cpuTime is the user+system CPU time this process has used: benchmarks
// report it next to wall time because on a shared machine wall time
// mostly measures the other tenants.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// diskUsage is what a file occupies on disk (holes take nothing).
func diskUsage(fi os.FileInfo) int64 {
	return fi.Sys().(*syscall.Stat_t).Blocks * 512
}
