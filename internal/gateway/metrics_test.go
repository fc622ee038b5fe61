package gateway

import (
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The request counters and the histogram are updated without a lock by
// concurrent requests; the exposition must add up (cumulative buckets,
// count = +Inf bucket).
func TestMetricsHistogramConcurrent(t *testing.T) {
	m := newMetrics()
	durations := []time.Duration{50 * time.Microsecond, 100 * time.Microsecond, 200 * time.Microsecond, 3 * time.Second, 200 * time.Second}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				for j, d := range durations {
					decision := "allow"
					if j == 0 {
						decision = "deny"
					}
					m.observe(decision, j%2, d)
				}
			}
		}()
	}
	wg.Wait()
	rec := httptest.NewRecorder()
	m.serve(rec, nil)
	var got []string
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(line, "warden_gateway_request") || strings.HasPrefix(line, "warden_gateway_redactions_total ") {
			got = append(got, line)
		}
	}
	want := []string{
		`warden_gateway_requests_total{decision="allow"} 3200`,
		`warden_gateway_requests_total{decision="deny"} 800`,
		"warden_gateway_redactions_total 1600",
		`warden_gateway_request_seconds_bucket{le="0.0001"} 1600`, // 50 us and exactly 100 us
		`warden_gateway_request_seconds_bucket{le="0.0005"} 2400`,
		`warden_gateway_request_seconds_bucket{le="0.001"} 2400`,
		`warden_gateway_request_seconds_bucket{le="0.005"} 2400`,
		`warden_gateway_request_seconds_bucket{le="0.01"} 2400`,
		`warden_gateway_request_seconds_bucket{le="0.05"} 2400`,
		`warden_gateway_request_seconds_bucket{le="0.1"} 2400`,
		`warden_gateway_request_seconds_bucket{le="0.5"} 2400`,
		`warden_gateway_request_seconds_bucket{le="1"} 2400`,
		`warden_gateway_request_seconds_bucket{le="5"} 3200`,
		`warden_gateway_request_seconds_bucket{le="30"} 3200`,
		`warden_gateway_request_seconds_bucket{le="120"} 3200`,
		`warden_gateway_request_seconds_bucket{le="+Inf"} 4000`,
		"warden_gateway_request_seconds_sum 162400.28",
		"warden_gateway_request_seconds_count 4000",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("exposition (-want +got):\n%s", d)
	}
}
