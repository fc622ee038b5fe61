package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"time"
)

// serveDebug serves Go's runtime profiles on addr until ctx is done, for
// profiling a long-running command under real load (off unless asked
// for; bind it to loopback). The paths are the ones `go tool pprof`
// knows: /debug/pprof/profile?seconds=N (CPU), /debug/pprof/trace?seconds=N,
// and /debug/pprof/NAME for heap, allocs, goroutine, block, mutex,
// threadcreate. It does not import net/http/pprof, which would register
// the same handlers on http.DefaultServeMux for any server that uses it.
func serveDebug(ctx context.Context, addr string, log *slog.Logger) (net.Addr, error) {
	// Profiles show memory contents (a heap profile can hold fragments
	// of prompts): only a loopback address is accepted.
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("--debug-addr %q: want host:port, e.g. 127.0.0.1:6060", addr)}
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, &UsageError{Err: fmt.Errorf("--debug-addr %q: only a loopback address (127.0.0.1, ::1, localhost) is allowed", addr)}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("--debug-addr %s: %w", addr, err)}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/profile", func(w http.ResponseWriter, r *http.Request) {
		d := debugSeconds(r)
		w.Header().Set("Content-Type", "application/octet-stream")
		if err := pprof.StartCPUProfile(w); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		sleepCtx(r.Context(), d)
		pprof.StopCPUProfile()
	})
	mux.HandleFunc("GET /debug/pprof/trace", func(w http.ResponseWriter, r *http.Request) {
		d := debugSeconds(r)
		w.Header().Set("Content-Type", "application/octet-stream")
		if err := trace.Start(w); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		sleepCtx(r.Context(), d)
		trace.Stop()
	})
	mux.HandleFunc("GET /debug/pprof/{name}", func(w http.ResponseWriter, r *http.Request) {
		p := pprof.Lookup(r.PathValue("name"))
		if p == nil {
			http.Error(w, "unknown profile", http.StatusNotFound)
			return
		}
		if p.Name() == "heap" || p.Name() == "allocs" {
			runtime.GC()
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		p.WriteTo(w, 0)
	})
	mux.HandleFunc("GET /debug/pprof/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "profile?seconds=N  trace?seconds=N")
		for _, p := range pprof.Profiles() {
			fmt.Fprintln(w, p.Name())
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("debug listener failed", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	log.Warn("debug listener serving runtime profiles", "addr", ln.Addr().String())
	return ln.Addr(), nil
}

// debugSeconds is the ?seconds= of a profile request: 1-300, default 30.
func debugSeconds(r *http.Request) time.Duration {
	n, err := strconv.Atoi(r.URL.Query().Get("seconds"))
	if err != nil || n <= 0 {
		n = 30
	}
	return time.Duration(min(n, 300)) * time.Second
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
