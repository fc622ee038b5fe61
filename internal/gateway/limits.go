package gateway

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// Limits bound what one virtual key may use. Zero means no limit.
type Limits struct {
	RequestsPerMinute int   `yaml:"requests_per_minute"`
	TokensPerDay      int64 `yaml:"tokens_per_day"`
	// SpendPerDay is in USD, priced with the config's prices; a request
	// for a model without a price is refused when it is set.
	SpendPerDay float64 `yaml:"spend_per_day"`
}

func (l Limits) any() bool {
	return l.RequestsPerMinute > 0 || l.TokensPerDay > 0 || l.SpendPerDay > 0
}

// Price is what a model costs, in USD per million tokens.
type Price struct {
	// Model is a glob of qualified model names ("anthropic/claude-sonnet-*").
	Model         string  `yaml:"model"`
	InputPerMTok  float64 `yaml:"input_per_mtok"`
	OutputPerMTok float64 `yaml:"output_per_mtok"`
}

// microUSD is the cost of tokens: a price per million tokens in USD is
// exactly the price of one token in micro-USD.
func (p *Price) microUSD(in, out int64) int64 {
	return int64(math.Ceil(float64(in)*p.InputPerMTok + float64(out)*p.OutputPerMTok))
}

// limiter enforces the keys' limits. Admission and settlement happen
// under one lock, so concurrent requests never pass a limit together:
// a request reserves its estimated tokens and cost before it is sent and
// settles them with the upstream's reported usage when it ends. Days are
// UTC days.
type limiter struct {
	mu   sync.Mutex
	keys map[string]*keyUsage
	now  func() time.Time
}

type keyUsage struct {
	recent   []time.Time // admitted requests in the last minute, oldest first
	day      string
	tokens   int64 // reported tokens today
	spend    int64 // reported spend today, micro-USD
	resTok   int64 // tokens reserved by requests in flight
	resSpend int64
}

// reservation is what an admitted request holds until it settles.
type reservation struct {
	key    string
	day    string
	tokens int64
	spend  int64
	price  *Price
	// estIn, estOut are the estimate, booked when the upstream reports no
	// usage (e.g. an OpenAI stream without include_usage).
	estIn, estOut int64
}

// refusal says which limit refused a request and when to retry.
type refusal struct {
	limit      string
	retryAfter time.Duration
	msg        string
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{keys: map[string]*keyUsage{}, now: now}
}

func (l *limiter) usage(id string, now time.Time) *keyUsage {
	u := l.keys[id]
	if u == nil {
		u = &keyUsage{}
		l.keys[id] = u
	}
	if d := now.UTC().Format(time.DateOnly); u.day != d {
		u.day, u.tokens, u.spend, u.resTok, u.resSpend = d, 0, 0, 0, 0
	}
	return u
}

func untilMidnight(now time.Time) time.Duration {
	n := now.UTC()
	return time.Date(n.Year(), n.Month(), n.Day()+1, 0, 0, 0, 0, time.UTC).Sub(n)
}

// admit reserves estTokens (and their cost at price) for key k, or says
// which limit refuses the request.
func (l *limiter) admit(k *Key, estIn, estOut int64, price *Price) (*reservation, *refusal) {
	lim := k.Limits
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	u := l.usage(k.ID, now)
	if lim.RequestsPerMinute > 0 {
		cut := 0
		for cut < len(u.recent) && now.Sub(u.recent[cut]) >= time.Minute {
			cut++
		}
		u.recent = u.recent[cut:]
		if len(u.recent) >= lim.RequestsPerMinute {
			return nil, &refusal{"requests_per_minute", u.recent[0].Add(time.Minute).Sub(now),
				fmt.Sprintf("key %s reached its limit of %d requests per minute", k.ID, lim.RequestsPerMinute)}
		}
	}
	est := estIn + estOut
	if lim.TokensPerDay > 0 && u.tokens+u.resTok+est > lim.TokensPerDay {
		return nil, &refusal{"tokens_per_day", untilMidnight(now),
			fmt.Sprintf("key %s would pass its budget of %d tokens per day (used %d, in flight %d, this request up to %d)", k.ID, lim.TokensPerDay, u.tokens, u.resTok, est)}
	}
	var cost int64
	if lim.SpendPerDay > 0 {
		if price == nil {
			return nil, &refusal{"spend_per_day", 0, fmt.Sprintf("key %s has a spend budget but the gateway config has no price for this model", k.ID)}
		}
		cost = price.microUSD(estIn, estOut)
		if u.spend+u.resSpend+cost > int64(lim.SpendPerDay*1e6) {
			return nil, &refusal{"spend_per_day", untilMidnight(now),
				fmt.Sprintf("key %s would pass its budget of $%.2f per day (used $%.4f)", k.ID, lim.SpendPerDay, float64(u.spend)/1e6)}
		}
	}
	if lim.RequestsPerMinute > 0 {
		u.recent = append(u.recent, now)
	}
	u.resTok += est
	u.resSpend += cost
	return &reservation{key: k.ID, day: u.day, tokens: est, spend: cost, price: price, estIn: estIn, estOut: estOut}, nil
}

// settle releases a reservation and books the reported usage; when an
// answer was given but no usage reported, it books the estimate instead
// (budgets fail closed). It returns the cost booked in micro-USD (0
// without a price).
func (l *limiter) settle(r *reservation, in, out int64, answered bool) int64 {
	if answered && in == 0 && out == 0 {
		in, out = r.estIn, r.estOut
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.usage(r.key, l.now())
	if u.day == r.day {
		u.resTok -= r.tokens
		u.resSpend -= r.spend
	}
	u.tokens += in + out
	var cost int64
	if r.price != nil {
		cost = r.price.microUSD(in, out)
		u.spend += cost
	}
	return cost
}
