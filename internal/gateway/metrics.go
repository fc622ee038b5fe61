package gateway

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardenhq/warden/internal/audit"
)

// metrics are exposed in the Prometheus text format on /metrics. They
// count requests by decision, redacted secrets, and the time the gateway
// held each request (a histogram). What every request updates is atomic
// (no lock on the hot path); the per-key and per-upstream counters, updated
// only by requests with limits, tokens or attestation, share a mutex.
type metrics struct {
	allowed, denied atomic.Uint64
	redactions      atomic.Uint64
	// counts[i] is the requests that took at most buckets[i] and more
	// than buckets[i-1] (the exposition sums them); counts[len(buckets)]
	// those above the last bucket.
	counts [len(histBuckets) + 1]atomic.Uint64
	sumNs  atomic.Int64

	mu sync.Mutex
	// requests by any other decision (none today)
	requests map[string]uint64
	// per virtual key
	limitedBy map[[2]string]uint64 // key, limit
	tokensBy  map[[2]string]uint64 // key, direction
	spendBy   map[string]int64     // micro-USD
	// attestation
	attestBy  map[[2]string]uint64 // upstream, result ("verified" or the failed check)
	refusedBy map[[2]string]uint64 // upstream, failed check
}

// histBuckets are the upper bounds of the request-time histogram.
var histBuckets = [...]time.Duration{100 * time.Microsecond, 500 * time.Microsecond, time.Millisecond,
	5 * time.Millisecond, 10 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	500 * time.Millisecond, time.Second, 5 * time.Second, 30 * time.Second, 120 * time.Second}

func newMetrics() *metrics {
	return &metrics{
		requests:  map[string]uint64{},
		limitedBy: map[[2]string]uint64{}, tokensBy: map[[2]string]uint64{}, spendBy: map[string]int64{},
		attestBy: map[[2]string]uint64{}, refusedBy: map[[2]string]uint64{},
	}
}

func (m *metrics) observe(decision string, redactions int, d time.Duration) {
	switch decision {
	case audit.DecisionAllow:
		m.allowed.Add(1)
	case audit.DecisionDeny:
		m.denied.Add(1)
	default:
		m.mu.Lock()
		m.requests[decision]++
		m.mu.Unlock()
	}
	if redactions > 0 {
		m.redactions.Add(uint64(redactions))
	}
	m.sumNs.Add(int64(d))
	i := 0
	for i < len(histBuckets) && d > histBuckets[i] {
		i++
	}
	m.counts[i].Add(1)
}

func (m *metrics) limited(key, limit string) {
	m.mu.Lock()
	m.limitedBy[[2]string{key, limit}]++
	m.mu.Unlock()
}

func (m *metrics) tokens(key string, in, out int) {
	m.mu.Lock()
	m.tokensBy[[2]string{key, "input"}] += uint64(max(in, 0))
	m.tokensBy[[2]string{key, "output"}] += uint64(max(out, 0))
	m.mu.Unlock()
}

func (m *metrics) spent(key string, micro int64) {
	m.mu.Lock()
	m.spendBy[key] += micro
	m.mu.Unlock()
}

// attested counts one attestation of upstream: check "" verified,
// otherwise the check that failed.
func (m *metrics) attested(upstream, check string) {
	if check == "" {
		check = "verified"
	}
	m.mu.Lock()
	m.attestBy[[2]string{upstream, check}]++
	m.mu.Unlock()
}

// refused counts a request refused because upstream's attestation failed.
func (m *metrics) refused(upstream, check string) {
	m.mu.Lock()
	m.refusedBy[[2]string{upstream, check}]++
	m.mu.Unlock()
}

func sortedPairs(m map[[2]string]uint64) [][2]string {
	ks := make([][2]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i][0] < ks[j][0] || ks[i][0] == ks[j][0] && ks[i][1] < ks[j][1] })
	return ks
}

// writePairCounter writes a counter labelled by two labels, in label order.
func writePairCounter(w io.Writer, name, help, label0, label1 string, m map[[2]string]uint64) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", name, help, name)
	for _, k := range sortedPairs(m) {
		fmt.Fprintf(w, "%s{%s=%q,%s=%q} %d\n", name, label0, k[0], label1, k[1], m[k])
	}
}

func (m *metrics) serve(w http.ResponseWriter, _ *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintln(w, "# HELP warden_gateway_requests_total Requests by decision.")
	fmt.Fprintln(w, "# TYPE warden_gateway_requests_total counter")
	byDecision := map[string]uint64{}
	for k, v := range m.requests {
		byDecision[k] = v
	}
	if n := m.allowed.Load(); n > 0 {
		byDecision[audit.DecisionAllow] += n
	}
	if n := m.denied.Load(); n > 0 {
		byDecision[audit.DecisionDeny] += n
	}
	keys := make([]string, 0, len(byDecision))
	for k := range byDecision {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "warden_gateway_requests_total{decision=%q} %d\n", k, byDecision[k])
	}
	fmt.Fprintln(w, "# HELP warden_gateway_redactions_total Secrets replaced by placeholders in prompts.")
	fmt.Fprintln(w, "# TYPE warden_gateway_redactions_total counter")
	fmt.Fprintf(w, "warden_gateway_redactions_total %d\n", m.redactions.Load())
	fmt.Fprintln(w, "# HELP warden_gateway_request_seconds Time from request to the end of the answer.")
	fmt.Fprintln(w, "# TYPE warden_gateway_request_seconds histogram")
	var cum uint64
	for i, b := range histBuckets {
		cum += m.counts[i].Load()
		fmt.Fprintf(w, "warden_gateway_request_seconds_bucket{le=\"%g\"} %d\n", b.Seconds(), cum)
	}
	cum += m.counts[len(histBuckets)].Load()
	fmt.Fprintf(w, "warden_gateway_request_seconds_bucket{le=\"+Inf\"} %d\n", cum)
	fmt.Fprintf(w, "warden_gateway_request_seconds_sum %g\n", time.Duration(m.sumNs.Load()).Seconds())
	fmt.Fprintf(w, "warden_gateway_request_seconds_count %d\n", cum)
	writePairCounter(w, "warden_gateway_limited_total", "Requests refused by a virtual key's limit or budget.", "key", "limit", m.limitedBy)
	writePairCounter(w, "warden_gateway_tokens_total", "Tokens reported by the upstreams, per virtual key.", "key", "direction", m.tokensBy)
	writePairCounter(w, "warden_gateway_attestations_total", "Attestations of confidential upstreams, by result (verified or the check that failed).", "upstream", "result", m.attestBy)
	writePairCounter(w, "warden_gateway_attestation_refusals_total", "Requests refused because a confidential upstream's attestation failed, by upstream and failed check.", "upstream", "check", m.refusedBy)
	fmt.Fprintln(w, "# HELP warden_gateway_spend_usd_total Spend priced from the config's prices, per virtual key.")
	fmt.Fprintln(w, "# TYPE warden_gateway_spend_usd_total counter")
	keys = keys[:0]
	for k := range m.spendBy {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "warden_gateway_spend_usd_total{key=%q} %g\n", k, float64(m.spendBy[k])/1e6)
	}
}
