// Command gwload measures what a model gateway adds to a request's
// latency. It has two modes:
//
//	gwload upstream -addr 127.0.0.1:0
//	    a fake Anthropic Messages API (JSON and SSE answers, echoing any
//	    warden placeholders it receives); prints "listening ADDR".
//	gwload load -rate 2000 -duration 10s -target NAME,URL[,Header=Value...] ...
//	    an open-loop load generator: request i is due at start+i/rate and
//	    is sent at that time on its own goroutine whether or not earlier
//	    requests have answered; its latency is measured from when it was
//	    due (not when it was sent), so a stall anywhere, the generator
//	    included, is counted rather than hidden (no coordinated omission).
//	    Targets are measured in turn, round after round (interleaved, so
//	    drift in machine load spreads over all of them), and reported with
//	    the first target (the upstream itself, measured with the same
//	    generator) subtracted: what remains is what the gateway adds.
//
// Percentiles are exact: every sample is kept and sorted (20,000 samples
// per target and round at 2,000/s for 10 s).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "upstream":
		upstream(os.Args[2:])
	case "load":
		load(os.Args[2:])
	case "freeport":
		// A free loopback port for a server that wants a number.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fail(err)
		}
		fmt.Println(ln.Addr().(*net.TCPAddr).Port)
		ln.Close()
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: gwload upstream [-addr A] | gwload load -target NAME,URL[,H=V...] ... [flags] | gwload freeport")
	os.Exit(2)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gwload:", err)
	os.Exit(1)
}

// ---- the fake upstream ----

var placeholderRE = regexp.MustCompile(`\[\[warden:[0-9a-f]{12}\]\]`)

func upstream(args []string) {
	fs := flag.NewFlagSet("upstream", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	fs.Parse(args)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fail(err)
	}
	fmt.Printf("listening %s\n", ln.Addr())
	srv := &http.Server{Handler: http.HandlerFunc(serveFake), ReadHeaderTimeout: 10 * time.Second}
	fail(srv.Serve(ln))
}

func serveFake(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Method == http.MethodPost && r.URL.Path == "/v1/chat/completions" {
		serveChat(w, body)
		return
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/v1/messages") {
		http.NotFound(w, r)
		return
	}
	var req struct {
		Model  string `json:"model"`
		Stream bool   `json:"stream"`
	}
	_ = json.Unmarshal(body, &req)
	text := answerText(body)
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		b, _ := json.Marshal(map[string]any{
			"id": "msg_bench", "type": "message", "role": "assistant", "model": req.Model,
			"content":     []any{map[string]any{"type": "text", "text": text}},
			"stop_reason": "end_turn", "stop_sequence": nil,
			"usage": map[string]int{"input_tokens": 1200, "output_tokens": 40},
		})
		w.Write(b)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	fl := w.(http.Flusher)
	ev := func(name string, v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b)
		fl.Flush()
	}
	ev("message_start", map[string]any{"type": "message_start", "message": map[string]any{
		"id": "msg_bench", "type": "message", "role": "assistant", "model": req.Model, "content": []any{},
		"stop_reason": nil, "stop_sequence": nil, "usage": map[string]int{"input_tokens": 1200, "output_tokens": 1}}})
	ev("content_block_start", map[string]any{"type": "content_block_start", "index": 0,
		"content_block": map[string]any{"type": "text", "text": ""}})
	for i := 0; i < len(text); i += 16 {
		ev("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0,
			"delta": map[string]any{"type": "text_delta", "text": text[i:min(i+16, len(text))]}})
	}
	ev("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0})
	ev("message_delta", map[string]any{"type": "message_delta",
		"delta": map[string]any{"stop_reason": "end_turn", "stop_sequence": nil}, "usage": map[string]int{"output_tokens": 40}})
	ev("message_stop", map[string]any{"type": "message_stop"})
}

// answerText is the fake model's answer, quoting the first warden
// placeholder of the request (which a redacting gateway must restore).
func answerText(body []byte) string {
	text := "Here is the summary you asked for: the function validates its input and returns early on error."
	if bytes.Contains(body, []byte("[[warden:")) {
		text += " Your key " + placeholderRE.FindString(string(body)) + " is noted."
	}
	return text
}

// serveChat is the OpenAI Chat Completions face.
func serveChat(w http.ResponseWriter, body []byte) {
	var req struct {
		Model  string `json:"model"`
		Stream bool   `json:"stream"`
	}
	_ = json.Unmarshal(body, &req)
	text := answerText(body)
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		b, _ := json.Marshal(map[string]any{
			"id": "chatcmpl-bench", "object": "chat.completion", "created": 1700000000, "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": text}, "finish_reason": "stop"}},
			"usage":   map[string]int{"prompt_tokens": 1200, "completion_tokens": 40, "total_tokens": 1240},
		})
		w.Write(b)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	fl := w.(http.Flusher)
	chunk := func(delta map[string]any, finish any) {
		b, _ := json.Marshal(map[string]any{"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1700000000, "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}})
		fmt.Fprintf(w, "data: %s\n\n", b)
		fl.Flush()
	}
	chunk(map[string]any{"role": "assistant", "content": ""}, nil)
	for i := 0; i < len(text); i += 16 {
		chunk(map[string]any{"content": text[i:min(i+16, len(text))]}, nil)
	}
	chunk(map[string]any{}, "stop")
	fmt.Fprint(w, "data: [DONE]\n\n")
	fl.Flush()
}

// ---- the load generator ----

type target struct {
	name string
	url  string
	hdr  http.Header
}

type targetFlags []target

func (t *targetFlags) String() string { return fmt.Sprint(len(*t)) }

func (t *targetFlags) Set(s string) error {
	parts := strings.Split(s, ",")
	if len(parts) < 2 || parts[0] == "" || !strings.HasPrefix(parts[1], "http") {
		return fmt.Errorf("want NAME,URL[,Header=Value...], got %q", s)
	}
	tg := target{name: parts[0], url: strings.TrimRight(parts[1], "/"), hdr: http.Header{}}
	for _, h := range parts[2:] {
		k, v, ok := strings.Cut(h, "=")
		if !ok {
			return fmt.Errorf("header %q: want Header=Value", h)
		}
		tg.hdr.Add(k, v)
	}
	*t = append(*t, tg)
	return nil
}

// sample is one request's outcome, measured from when it was due.
type sample struct {
	total time.Duration // until the whole answer was read
	first time.Duration // until the first byte of the answer's body
	err   bool
}

func load(args []string) {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	var targets targetFlags
	fs.Var(&targets, "target", "NAME,URL[,Header=Value...]; the first is the baseline (repeatable)")
	rate := fs.Int("rate", 2000, "requests per second (open loop)")
	dur := fs.Duration("duration", 10*time.Second, "measured time per target and round")
	warm := fs.Duration("warmup", 2*time.Second, "unmeasured load before each measurement")
	rounds := fs.Int("rounds", 3, "rounds; each measures every target once")
	stream := fs.Bool("stream", false, "ask for streamed (SSE) answers and report time to first byte")
	secret := fs.Bool("secret", false, "plant a credential in the prompt (the redaction path)")
	size := fs.Int("size", 4096, "approximate request body size in bytes")
	model := fs.String("model", "", "model to ask for (default claude-haiku-4-5, or gpt-5-mini with -api chat)")
	optional := fs.String("optional", "", "comma-separated targets to leave out, with a note, when their first answer is wrong (instead of failing)")
	timeout := fs.Duration("timeout", 10*time.Second, "a request not answered by then counts as an error")
	apiName := fs.String("api", "messages", "API: messages (Anthropic, /v1/messages) or chat (OpenAI, /v1/chat/completions)")
	fs.Parse(args)
	switch *apiName {
	case "messages":
		path = "/v1/messages"
		if *model == "" {
			*model = "claude-haiku-4-5"
		}
	case "chat":
		path = "/v1/chat/completions"
		if *model == "" {
			*model = "gpt-5-mini"
		}
	default:
		fail(fmt.Errorf("-api %q: want messages or chat", *apiName))
	}
	if len(targets) == 0 {
		fail(fmt.Errorf("at least one -target is needed"))
	}
	body := requestBody(*apiName, *model, *size, *stream, *secret)

	tr := &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        4096,
		MaxIdleConnsPerHost: 4096,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	client := &http.Client{Transport: tr, Timeout: *timeout}

	// Check every target answers correctly before measuring anything.
	var ok targetFlags
	for i, tg := range targets {
		if err := probe(client, tg, body, *stream, *secret); err != nil {
			if i == 0 || !slices.Contains(strings.Split(*optional, ","), tg.name) {
				fail(fmt.Errorf("%s: %w", tg.name, err))
			}
			fmt.Printf("NOTE: %s left out of this scenario: its answer to a probe request was wrong: %v\n", tg.name, err)
			continue
		}
		ok = append(ok, tg)
	}
	targets = ok

	res := make([][]sample, len(targets))
	for r := 0; r < *rounds; r++ {
		for i, tg := range targets {
			runLoad(client, tg, body, *rate, *warm) // warm-up, discarded
			s := runLoad(client, tg, body, *rate, *dur)
			res[i] = append(res[i], s...)
			fmt.Fprintf(os.Stderr, "round %d %-8s p50 %8s p99 %8s errors %d\n", r+1, tg.name,
				fmtD(pct(totals(s), 50)), fmtD(pct(totals(s), 99)), errors(s))
		}
	}
	report(targets, res, *rate, *dur, *rounds, *stream, *secret, len(body))
}

// requestBody is a Claude-Code-like request: a system prompt, a user
// message with code, about size bytes in all.
func requestBody(api, model string, size int, stream, secret bool) []byte {
	code := `func (s *Store) Get(ctx context.Context, id string) (*Item, error) {
	if id == "" {
		return nil, errors.New("store: empty id")
	}
	row := s.db.QueryRowContext(ctx, "SELECT name, price FROM items WHERE id = ?", id)
	var it Item
	if err := row.Scan(&it.Name, &it.Price); err != nil {
		return nil, fmt.Errorf("store: item %s: %w", id, err)
	}
	return &it, nil
}
`
	var user strings.Builder
	user.WriteString("Please review this function and summarize what it does.\n\n")
	if secret {
		user.WriteString("The deploy uses aws_access_key_id=AKIAZ3MHQ2XN7P4VWK5T; keep that in mind.\n\n")
	}
	system := "You are an interactive CLI tool that helps users with software engineering tasks. Use the tools available to you. "
	for user.Len()+len(system) < size-300 {
		user.WriteString(code)
	}
	if api == "chat" {
		b, _ := json.Marshal(map[string]any{
			"model": model, "max_completion_tokens": 1024, "stream": stream,
			"messages": []any{map[string]any{"role": "system", "content": system}, map[string]any{"role": "user", "content": user.String()}},
		})
		return b
	}
	b, _ := json.Marshal(map[string]any{
		"model": model, "max_tokens": 1024, "stream": stream,
		"system":   []any{map[string]any{"type": "text", "text": system}},
		"messages": []any{map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": user.String()}}}},
	})
	return b
}

// path is the API's path on every target.
var path = "/v1/messages"

func newRequest(ctx context.Context, tg target, body []byte) *http.Request {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, tg.url+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Anthropic-Version", "2023-06-01")
	for k, v := range tg.hdr {
		req.Header[k] = v
	}
	return req
}

// probe sends one request and checks the answer is a model answer (and,
// through a redacting gateway, that the planted key came back).
func probe(c *http.Client, tg target, body []byte, stream, secret bool) error {
	resp, err := c.Do(newRequest(context.Background(), tg, body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, b)
	}
	want := "summary you asked for"
	if stream {
		want = "message_stop"
		if path != "/v1/messages" {
			want = "[DONE]"
		}
	}
	if !bytes.Contains(b, []byte(want)) {
		return fmt.Errorf("unexpected answer: %.300s", b)
	}
	if secret && bytes.Contains(b, []byte("[[warden:")) {
		// Through warden the fake echoes a placeholder, which must come
		// back as the key.
		return fmt.Errorf("a placeholder came back unrestored: %.300s", b)
	}
	return nil
}

func runLoad(c *http.Client, tg target, body []byte, rate int, dur time.Duration) []sample {
	n := int(dur.Seconds() * float64(rate))
	out := make([]sample, n)
	interval := time.Second / time.Duration(rate)
	var wg sync.WaitGroup
	start := time.Now().Add(10 * time.Millisecond)
	for i := 0; i < n; i++ {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func(i int, due time.Time) {
			defer wg.Done()
			out[i] = one(c, tg, body, due)
		}(i, due)
	}
	wg.Wait()
	return out
}

func one(c *http.Client, tg target, body []byte, due time.Time) sample {
	resp, err := c.Do(newRequest(context.Background(), tg, body))
	if err != nil {
		return sample{err: true, total: time.Since(due), first: time.Since(due)}
	}
	defer resp.Body.Close()
	var buf [32 << 10]byte
	var s sample
	first := true
	for {
		n, err := resp.Body.Read(buf[:])
		if n > 0 && first {
			s.first = time.Since(due)
			first = false
		}
		if err != nil {
			s.err = err != io.EOF || resp.StatusCode != http.StatusOK
			break
		}
	}
	s.total = time.Since(due)
	if first {
		s.first = s.total
	}
	return s
}

func totals(s []sample) []time.Duration {
	d := make([]time.Duration, 0, len(s))
	for _, x := range s {
		d = append(d, x.total)
	}
	return d
}

func firsts(s []sample) []time.Duration {
	d := make([]time.Duration, 0, len(s))
	for _, x := range s {
		d = append(d, x.first)
	}
	return d
}

func errors(s []sample) int {
	n := 0
	for _, x := range s {
		if x.err {
			n++
		}
	}
	return n
}

// pct returns the p-th percentile (nearest rank) of d; it sorts d.
func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	k := int(p/100*float64(len(d))+0.5) - 1
	k = max(0, min(k, len(d)-1))
	return d[k]
}

func fmtD(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + fmtD(-d)
	case d < time.Millisecond:
		return fmt.Sprintf("%dus", d.Microseconds())
	default:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	}
}

func report(targets []target, res [][]sample, rate int, dur time.Duration, rounds int, stream, secret bool, bodyLen int) {
	mode := "JSON answers"
	if stream {
		mode = "streamed (SSE) answers"
	}
	pr := "no secret in the prompt"
	if secret {
		pr = "one AWS key in the prompt"
	}
	fmt.Printf("\nopen loop %d req/s, %s x %d rounds per target (+ warm-up), %s, request body %d bytes, %s\n",
		rate, dur, rounds, mode, bodyLen, pr)
	ps := []float64{50, 90, 99, 99.9}
	type row struct {
		name string
		v    []time.Duration
		errs int
	}
	var rows []row
	for i, tg := range targets {
		tot := totals(res[i])
		v := []time.Duration{}
		for _, p := range ps {
			v = append(v, pct(tot, p))
		}
		if stream {
			fb := firsts(res[i])
			v = append(v, pct(fb, 50), pct(fb, 99))
		}
		rows = append(rows, row{tg.name, v, errors(res[i])})
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	hdr := "target\tp50\tp90\tp99\tp99.9\t"
	if stream {
		hdr += "ttfb p50\tttfb p99\t"
	}
	fmt.Fprintln(tw, hdr+"errors\t")
	for _, r := range rows {
		line := r.name + "\t"
		for _, d := range r.v {
			line += fmtD(d) + "\t"
		}
		fmt.Fprintln(tw, line+fmt.Sprint(r.errs)+"\t")
	}
	base := rows[0]
	for _, r := range rows[1:] {
		line := r.name + " added\t"
		for j, d := range r.v {
			line += fmtD(d-base.v[j]) + "\t"
		}
		fmt.Fprintln(tw, line+"\t")
	}
	tw.Flush()
}
