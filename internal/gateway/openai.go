package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"sort"
	"strings"
)

// usage is the token count an upstream reports, in either API's words:
// Anthropic and OpenAI Responses say input/output tokens, OpenAI Chat
// Completions prompt/completion tokens.
type usage struct {
	Input      int `json:"input_tokens"`
	Output     int `json:"output_tokens"`
	Prompt     int `json:"prompt_tokens"`
	Completion int `json:"completion_tokens"`
}

func (u usage) in() int  { return u.Input + u.Prompt }
func (u usage) out() int { return u.Output + u.Completion }

// walkKeyed applies f to every string value of a decoded JSON value,
// telling it the object key the string sits under ("" in arrays at the
// top).
func walkKeyed(v any, key string, f func(key, s string) string) any {
	switch t := v.(type) {
	case string:
		return f(key, t)
	case []any:
		for i := range t {
			t[i] = walkKeyed(t[i], key, f)
		}
	case map[string]any:
		for k, x := range t {
			t[k] = walkKeyed(x, k, f)
		}
	}
	return v
}

func decodeJSON(data []byte) (map[string]any, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil || m == nil {
		return nil, false
	}
	return m, true
}

func intOf(v any) int {
	if n, ok := v.(json.Number); ok {
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}

// writeData writes an SSE event keeping its non-data lines (event:, id:)
// and replacing its data with v encoded as JSON.
func writeData(w io.Writer, ev []byte, v any) {
	var b bytes.Buffer
	for _, line := range bytes.Split(bytes.TrimRight(ev, "\r\n"), []byte("\n")) {
		t := bytes.TrimRight(line, "\r")
		if len(t) == 0 || bytes.HasPrefix(t, []byte("data:")) {
			continue
		}
		b.Write(t)
		b.WriteByte('\n')
	}
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteString("data: ")
	enc.Encode(v) // ends with the newline of the data line
	b.WriteByte('\n')
	w.Write(b.Bytes())
}

// chatStream restores placeholders in an OpenAI Chat Completions stream:
// choices[].delta.content per choice, and
// choices[].delta.tool_calls[].function.arguments per choice and tool
// call (JSON-escaped, since arguments are JSON text). What is held back is
// released with the choice's finish_reason chunk, or before [DONE].
type chatStream struct {
	ph      *placeholders
	rq      *request
	content map[int]*streamRestorer
	args    map[[2]int]*streamRestorer
}

func newChatStream(ph *placeholders, rq *request) *chatStream {
	return &chatStream{ph: ph, rq: rq, content: map[int]*streamRestorer{}, args: map[[2]int]*streamRestorer{}}
}

func (c *chatStream) event(w io.Writer, ev []byte) {
	data := sseData(ev)
	if data == nil {
		w.Write(ev)
		return
	}
	if string(bytes.TrimSpace(data)) == "[DONE]" {
		if c.ph.Len() > 0 {
			c.flushAll(w)
		}
		w.Write(ev)
		return
	}
	if bytes.Contains(data, []byte(`"usage"`)) {
		var u struct {
			Usage *usage `json:"usage"`
		}
		if json.Unmarshal(data, &u) == nil && u.Usage != nil {
			c.rq.inTokens, c.rq.outTokens = u.Usage.in(), u.Usage.out()
		}
	}
	if c.ph.Len() == 0 {
		w.Write(ev)
		return
	}
	chunk, ok := decodeJSON(data)
	if !ok {
		w.Write(ev)
		return
	}
	changed := false
	choices, _ := chunk["choices"].([]any)
	for _, ch := range choices {
		cm, _ := ch.(map[string]any)
		if cm == nil {
			continue
		}
		idx := intOf(cm["index"])
		delta, _ := cm["delta"].(map[string]any)
		if delta != nil {
			if s, ok := delta["content"].(string); ok {
				if out := c.restorer(idx).Write(s); out != s {
					delta["content"], changed = out, true
				}
			}
			tcs, _ := delta["tool_calls"].([]any)
			for _, tc := range tcs {
				tm, _ := tc.(map[string]any)
				fn, _ := tm["function"].(map[string]any)
				if s, ok := fn["arguments"].(string); ok {
					if out := c.argRestorer(idx, intOf(tm["index"])).Write(s); out != s {
						fn["arguments"], changed = out, true
					}
				}
			}
		}
		if cm["finish_reason"] != nil {
			if rest := c.flushChoice(idx); rest != nil {
				if delta == nil {
					delta = map[string]any{}
					cm["delta"] = delta
				}
				if s, ok := rest["content"].(string); ok {
					prev, _ := delta["content"].(string)
					delta["content"] = prev + s
				}
				if tcs, ok := rest["tool_calls"].([]any); ok {
					prev, _ := delta["tool_calls"].([]any)
					delta["tool_calls"] = append(prev, tcs...)
				}
				changed = true
			}
		}
	}
	if changed {
		writeData(w, ev, chunk)
		return
	}
	w.Write(ev)
}

func (c *chatStream) restorer(idx int) *streamRestorer {
	r := c.content[idx]
	if r == nil {
		r = &streamRestorer{p: c.ph, escape: verbatim}
		c.content[idx] = r
	}
	return r
}

func (c *chatStream) argRestorer(idx, tool int) *streamRestorer {
	k := [2]int{idx, tool}
	r := c.args[k]
	if r == nil {
		r = &streamRestorer{p: c.ph, escape: jsonEscape}
		c.args[k] = r
	}
	return r
}

// flushChoice returns a delta with what was held back for a choice, or nil.
func (c *chatStream) flushChoice(idx int) map[string]any {
	delta := map[string]any{}
	if r := c.content[idx]; r != nil {
		if s := r.Flush(); s != "" {
			delta["content"] = s
		}
		delete(c.content, idx)
	}
	var keys [][2]int
	for k := range c.args {
		if k[0] == idx {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][1] < keys[j][1] })
	var tcs []any
	for _, k := range keys {
		if s := c.args[k].Flush(); s != "" {
			tcs = append(tcs, map[string]any{"index": k[1], "function": map[string]any{"arguments": s}})
		}
		delete(c.args, k)
	}
	if tcs != nil {
		delta["tool_calls"] = tcs
	}
	if len(delta) == 0 {
		return nil
	}
	return delta
}

// flushAll releases whatever is still held back when the stream ends
// without a finish_reason, as one extra chunk per choice.
func (c *chatStream) flushAll(w io.Writer) {
	seen := map[int]bool{}
	for i := range c.content {
		seen[i] = true
	}
	for k := range c.args {
		seen[k[0]] = true
	}
	idxs := make([]int, 0, len(seen))
	for i := range seen {
		idxs = append(idxs, i)
	}
	sort.Ints(idxs)
	for _, i := range idxs {
		if d := c.flushChoice(i); d != nil {
			writeData(w, []byte("data: {}\n\n"), map[string]any{"object": "chat.completion.chunk",
				"choices": []any{map[string]any{"index": i, "delta": d, "finish_reason": nil}}})
		}
	}
}

// responsesStream restores placeholders in an OpenAI Responses stream:
// every "*.delta" event's delta per output item and content part
// (function-call argument deltas JSON-escaped), and the full text in
// "*.done", output item and response events. What is held back is
// released as one more delta event just before the matching "*.done".
type responsesStream struct {
	ph        *placeholders
	rq        *request
	restorers map[responsesKey]*streamRestorer
}

type responsesKey struct {
	kind         string
	output, part int
}

func newResponsesStream(ph *placeholders, rq *request) *responsesStream {
	return &responsesStream{ph: ph, rq: rq, restorers: map[responsesKey]*streamRestorer{}}
}

func (s *responsesStream) event(w io.Writer, ev []byte) {
	data := sseData(ev)
	if data == nil {
		w.Write(ev)
		return
	}
	var head struct {
		Type         string  `json:"type"`
		OutputIndex  int     `json:"output_index"`
		ContentIndex int     `json:"content_index"`
		Delta        *string `json:"delta"`
		Response     struct {
			Usage *usage `json:"usage"`
		} `json:"response"`
	}
	if json.Unmarshal(data, &head) != nil {
		w.Write(ev)
		return
	}
	if u := head.Response.Usage; u != nil {
		s.rq.inTokens, s.rq.outTokens = u.in(), u.out()
	}
	if s.ph.Len() == 0 {
		w.Write(ev)
		return
	}
	switch {
	case strings.HasSuffix(head.Type, ".delta") && head.Delta != nil:
		kind := strings.TrimSuffix(head.Type, ".delta")
		k := responsesKey{kind, head.OutputIndex, head.ContentIndex}
		r := s.restorers[k]
		if r == nil {
			esc := verbatim
			if strings.HasSuffix(kind, "arguments") {
				esc = jsonEscape
			}
			r = &streamRestorer{p: s.ph, escape: esc}
			s.restorers[k] = r
		}
		out := r.Write(*head.Delta)
		if out == *head.Delta {
			w.Write(ev)
			return
		}
		m, ok := decodeJSON(data)
		if !ok {
			w.Write(ev)
			return
		}
		m["delta"] = out
		writeData(w, ev, m)
		return
	case strings.HasSuffix(head.Type, ".done"):
		kind := strings.TrimSuffix(head.Type, ".done")
		k := responsesKey{kind, head.OutputIndex, head.ContentIndex}
		if r := s.restorers[k]; r != nil {
			delete(s.restorers, k)
			if rest := r.Flush(); rest != "" {
				m, _ := decodeJSON(data)
				syn := map[string]any{"type": kind + ".delta", "output_index": head.OutputIndex, "delta": rest}
				for _, f := range []string{"item_id", "content_index", "sequence_number"} {
					if v, ok := m[f]; ok {
						syn[f] = v
					}
				}
				writeData(w, []byte("event: "+kind+".delta\n"), syn)
			}
		}
	}
	if !bytes.Contains(data, []byte(placeholderOpen)) {
		w.Write(ev)
		return
	}
	m, ok := decodeJSON(data)
	if !ok {
		w.Write(ev)
		return
	}
	walkKeyed(m, "", func(key, v string) string {
		if key == "arguments" {
			return s.ph.restore(v, jsonEscape)
		}
		return s.ph.restore(v, verbatim)
	})
	writeData(w, ev, m)
}
