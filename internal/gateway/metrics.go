package gateway

import (
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"
)

// metrics are exposed in the Prometheus text format on /metrics. They
// count requests by decision, redacted secrets, and the time the gateway
// held each request (a histogram).
type metrics struct {
	mu         sync.Mutex
	requests   map[string]uint64
	redactions uint64
	buckets    []float64
	counts     []uint64
	sum        float64
	total      uint64
}

func newMetrics() *metrics {
	return &metrics{
		requests: map[string]uint64{},
		buckets:  []float64{0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120},
		counts:   make([]uint64, 12),
	}
}

func (m *metrics) observe(decision string, redactions int, d time.Duration) {
	s := d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[decision]++
	m.redactions += uint64(redactions)
	m.sum += s
	m.total++
	for i, b := range m.buckets {
		if s <= b {
			m.counts[i]++
		}
	}
}

func (m *metrics) serve(w http.ResponseWriter, _ *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintln(w, "# HELP warden_gateway_requests_total Requests by decision.")
	fmt.Fprintln(w, "# TYPE warden_gateway_requests_total counter")
	keys := make([]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "warden_gateway_requests_total{decision=%q} %d\n", k, m.requests[k])
	}
	fmt.Fprintln(w, "# HELP warden_gateway_redactions_total Secrets replaced by placeholders in prompts.")
	fmt.Fprintln(w, "# TYPE warden_gateway_redactions_total counter")
	fmt.Fprintf(w, "warden_gateway_redactions_total %d\n", m.redactions)
	fmt.Fprintln(w, "# HELP warden_gateway_request_seconds Time from request to the end of the answer.")
	fmt.Fprintln(w, "# TYPE warden_gateway_request_seconds histogram")
	for i, b := range m.buckets {
		fmt.Fprintf(w, "warden_gateway_request_seconds_bucket{le=\"%g\"} %d\n", b, m.counts[i])
	}
	fmt.Fprintf(w, "warden_gateway_request_seconds_bucket{le=\"+Inf\"} %d\n", m.total)
	fmt.Fprintf(w, "warden_gateway_request_seconds_sum %g\n", m.sum)
	fmt.Fprintf(w, "warden_gateway_request_seconds_count %d\n", m.total)
}
