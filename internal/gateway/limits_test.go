package gateway

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// slowEcho answers like echoAnswer after a pause, so that concurrent
// requests are in flight together.
func slowEcho(w http.ResponseWriter, body []byte) {
	time.Sleep(20 * time.Millisecond)
	echoAnswer(w, body)
}

func withLimits(l Limits, prices ...Price) func(*Config) {
	return func(c *Config) {
		c.Keys[0].Limits = l
		c.Prices = prices
	}
}

// hammer sends n concurrent requests and returns the responses' statuses
// and bodies.
func hammer(t *testing.T, url string, n int) (ok int, refused []*http.Response, bodies []string) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, _ := json.Marshal(prompt("claude-sonnet-4-5", "hello", false))
			req, _ := http.NewRequest(http.MethodPost, url+"/v1/messages", strings.NewReader(string(b)))
			req.Header.Set("x-api-key", agentKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			if resp.StatusCode == 200 {
				ok++
			} else {
				refused = append(refused, resp)
				bodies = append(bodies, string(body))
			}
		}()
	}
	wg.Wait()
	return ok, refused, bodies
}

func metricsText(t *testing.T, url string) string {
	t.Helper()
	r, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return string(b)
}

func TestRequestsPerMinuteHoldUnderConcurrency(t *testing.T) {
	up := newUpstream(t, slowEcho)
	gw, rec := newGatewayWith(t, nil, withLimits(Limits{RequestsPerMinute: 7}), up)
	ok, refused, bodies := hammer(t, gw.URL, 40)
	if ok != 7 || len(refused) != 33 || up.calls() != 7 {
		t.Fatalf("admitted %d, refused %d, upstream calls %d; want exactly 7 admitted", ok, len(refused), up.calls())
	}
	for i, r := range refused {
		secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
		if r.StatusCode != 429 || err != nil || secs < 1 || secs > 60 {
			t.Errorf("refusal %d: status %d, Retry-After %q", i, r.StatusCode, r.Header.Get("Retry-After"))
		}
		var e struct {
			Type  string
			Error struct{ Type, Message string }
		}
		if json.Unmarshal([]byte(bodies[i]), &e) != nil || e.Type != "error" || e.Error.Type != "rate_limit_error" || !strings.Contains(e.Error.Message, "7 requests per minute") {
			t.Errorf("refusal body %s", bodies[i])
		}
	}
	m := metricsText(t, gw.URL)
	if !strings.Contains(m, `warden_gateway_limited_total{key="dev",limit="requests_per_minute"} 33`) {
		t.Errorf("/metrics lacks the refusals:\n%s", m)
	}
	if len(rec.events) != 40 {
		t.Errorf("%d audit events, want 40", len(rec.events))
	}
}

func TestTokenBudgetNeverExceededUnderConcurrency(t *testing.T) {
	// Each request reports 11+7 tokens; its reservation (body/3 + max_tokens
	// 100) is larger, so concurrent requests cannot overshoot together.
	const limit = 500
	up := newUpstream(t, slowEcho)
	gw, _ := newGatewayWith(t, nil, withLimits(Limits{TokensPerDay: limit}), up)
	ok, refused, _ := hammer(t, gw.URL, 40)
	if ok == 0 || ok*18 > limit || len(refused) == 0 {
		t.Fatalf("admitted %d (using %d tokens of %d), refused %d", ok, ok*18, limit, len(refused))
	}
	for _, r := range refused {
		if r.StatusCode != 429 || r.Header.Get("Retry-After") == "" {
			t.Errorf("refusal status %d Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
		}
	}
	m := metricsText(t, gw.URL)
	want := fmt.Sprintf("warden_gateway_tokens_total{key=\"dev\",direction=\"input\"} %d\n", ok*11)
	if !strings.Contains(m, want) {
		t.Errorf("/metrics lacks %q:\n%s", want, m)
	}
	// Settled usage frees the reservations: sequential requests keep going
	// until the reported usage itself is near the budget.
	more, _, _ := hammer(t, gw.URL, 1)
	if (ok+more)*18 > limit {
		t.Errorf("a later request passed the budget")
	}
}

func TestSpendBudgetNeverExceededUnderConcurrency(t *testing.T) {
	// $1000 per million tokens: 18 tokens cost $0.018 a request.
	up := newUpstream(t, slowEcho)
	gw, _ := newGatewayWith(t, nil, withLimits(Limits{SpendPerDay: 0.3},
		Price{Model: "anthropic/*", InputPerMTok: 1000, OutputPerMTok: 1000}), up)
	ok, refused, bodies := hammer(t, gw.URL, 40)
	if ok == 0 || float64(ok)*0.018 > 0.3 || len(refused) == 0 {
		t.Fatalf("admitted %d (spending $%.3f of $0.30), refused %d", ok, float64(ok)*0.018, len(refused))
	}
	if !strings.Contains(bodies[0], "budget of $0.30") {
		t.Errorf("refusal body %s", bodies[0])
	}
	m := metricsText(t, gw.URL)
	want := fmt.Sprintf("warden_gateway_spend_usd_total{key=\"dev\"} %g\n", float64(ok*18000)/1e6)
	if !strings.Contains(m, want) {
		t.Errorf("/metrics lacks %q:\n%s", want, m)
	}
}

func TestSpendBudgetWithoutAPriceFailsClosed(t *testing.T) {
	up := newUpstream(t, echoAnswer)
	gw, _ := newGatewayWith(t, nil, withLimits(Limits{SpendPerDay: 5}, Price{Model: "openai/*", InputPerMTok: 1}), up)
	resp, body := post(t, gw.URL, agentKey, prompt("claude-sonnet-4-5", "hi", false))
	if resp.StatusCode != 400 || !strings.Contains(body, "no price") || up.calls() != 0 {
		t.Errorf("got %d %s (upstream calls %d), want a 400 naming the missing price", resp.StatusCode, body, up.calls())
	}
}

func TestOpenAIRateLimitUsesTheOpenAIErrorShape(t *testing.T) {
	up := newUpstream(t, echoChat)
	gw, _ := newOpenAIGateway(t, nil, func(c *Config) { c.Keys[0].Limits = Limits{RequestsPerMinute: 1} }, up)
	postPath(t, gw.URL, "/v1/chat/completions", agentKey, chatPrompt("gpt-5", "hi", false))
	resp, body := postPath(t, gw.URL, "/v1/chat/completions", agentKey, chatPrompt("gpt-5", "hi", false))
	var e struct {
		Error struct{ Message, Type, Code string }
	}
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || json.Unmarshal([]byte(body), &e) != nil || e.Error.Code != "rate_limit_exceeded" {
		t.Errorf("got %d (Retry-After %q) %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
}

func TestLimiterDayRollsOverAndWindowSlides(t *testing.T) {
	now := time.Date(2026, 11, 23, 23, 59, 30, 0, time.UTC)
	l := newLimiter(func() time.Time { return now })
	k := &Key{ID: "k", Limits: Limits{RequestsPerMinute: 2, TokensPerDay: 100}}
	for i := 0; i < 2; i++ {
		r, ref := l.admit(k, 10, 10, nil)
		if ref != nil {
			t.Fatalf("request %d refused: %+v", i, ref)
		}
		l.settle(r, 40, 0, true)
	}
	if _, ref := l.admit(k, 1, 1, nil); ref == nil || ref.limit != "requests_per_minute" || ref.retryAfter != time.Minute {
		t.Fatalf("third request in the minute: %+v", ref)
	}
	now = now.Add(time.Minute) // next UTC day, window slid
	if _, ref := l.admit(k, 50, 50, nil); ref != nil {
		t.Fatalf("a new day and minute still refused: %+v", ref)
	}
	if _, ref := l.admit(k, 1, 0, nil); ref == nil || ref.limit != "tokens_per_day" || ref.retryAfter != 23*time.Hour+59*time.Minute+30*time.Second {
		t.Fatalf("over the day's tokens with the reservation in flight: %+v", ref)
	}
}

func TestAnswerWithoutReportedUsageBooksTheEstimate(t *testing.T) {
	l := newLimiter(time.Now)
	k := &Key{ID: "k", Limits: Limits{TokensPerDay: 100}}
	r, ref := l.admit(k, 30, 20, nil)
	if ref != nil {
		t.Fatal(ref)
	}
	l.settle(r, 0, 0, true) // answered, but the stream carried no usage
	if _, ref := l.admit(k, 30, 21, nil); ref == nil {
		t.Error("an answer without reported usage was booked as free")
	}
	r, _ = l.admit(k, 30, 20, nil)
	l.settle(r, 0, 0, false) // the upstream failed: nothing used
	if _, ref := l.admit(k, 30, 20, nil); ref != nil {
		t.Errorf("a failed request was booked: %+v", ref)
	}
}
