package audit

import (
	"encoding/json"
	"strconv"
	"time"
)

// appendEventJSON appends e encoded exactly as json.Marshal encodes it, for
// the events hooks append most (an agent decision: strings and string
// lists), without reflection: encoding is most of what a non-sealing
// append costs. It reports false, having appended nothing, for what it
// does not encode itself (scan results, findings, segments, a time
// json.Marshal rejects): the caller uses encoding/json. A string with any
// byte that JSON escapes is encoded by encoding/json too, so every byte of
// the output is what json.Marshal writes (FuzzAppendEventJSON checks it).
func appendEventJSON(dst []byte, e *Event) ([]byte, bool) {
	if e.Scan != nil || len(e.Findings) > 0 || e.Segment != nil || len(e.Removed) > 0 {
		return dst, false
	}
	if y := e.Time.Year(); y < 0 || y > 9999 {
		return dst, false // json.Marshal fails on it: let it say so
	}
	if _, off := e.Time.Zone(); off%60 != 0 || off/3600 >= 24 || off/3600 <= -24 {
		return dst, false
	}
	b := append(dst, `{"v":`...)
	b = strconv.AppendInt(b, int64(e.V), 10)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, `,"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","prev":`...)
	b = appendJSONString(b, e.Prev)
	b = append(b, `,"kind":`...)
	b = appendJSONString(b, string(e.Kind))
	if e.Actor != (Actor{}) {
		b = append(b, `,"actor":{`...)
		n := len(b)
		b = appendField(b, n, "agent", e.Actor.Agent)
		b = appendField(b, n, "session", e.Actor.Session)
		b = appendField(b, n, "user", e.Actor.User)
		b = appendField(b, n, "host", e.Actor.Host)
		b = append(b, '}')
	}
	if e.Repo != (Repo{}) {
		b = append(b, `,"repo":{`...)
		n := len(b)
		b = appendField(b, n, "name", e.Repo.Name)
		b = appendField(b, n, "commit", e.Repo.Commit)
		b = appendField(b, n, "ref", e.Repo.Ref)
		b = appendField(b, n, "release", e.Repo.Release)
		b = append(b, '}')
	}
	b = appendField(b, 0, "summary", e.Summary)
	if a := e.Action; a != nil {
		b = append(b, `,"action":{"kind":`...)
		b = appendJSONString(b, a.Kind)
		b = appendField(b, 0, "tool", a.Tool)
		b = appendField(b, 0, "event", a.Event)
		b = appendField(b, 0, "host", a.Host)
		b = append(b, '}')
	}
	b = appendList(b, "rules", e.Rules)
	b = appendList(b, "paths", e.Paths)
	b = appendList(b, "hashes", e.Hashes)
	b = appendList(b, "excerpts", e.Excerpts)
	b = appendField(b, 0, "decision", e.Decision)
	b = appendList(b, "reasons", e.Reasons)
	b = appendList(b, "tags", e.Tags)
	b = appendField(b, 0, "policy_sha256", e.PolicySHA256)
	b = appendField(b, 0, "checkpoint", e.Checkpoint)
	b = appendList(b, "tree", e.Tree)
	b = append(b, '}')
	return b, true
}

// appendField appends ,"key":"value" when value is not empty (omitempty);
// first is the offset where an object's fields start (no comma before the
// first one), 0 inside the event.
func appendField(b []byte, first int, key, value string) []byte {
	if value == "" {
		return b
	}
	if len(b) != first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	b = append(b, `":`...)
	return appendJSONString(b, value)
}

func appendList(b []byte, key string, list []string) []byte {
	if len(list) == 0 {
		return b
	}
	b = append(b, `,"`...)
	b = append(b, key...)
	b = append(b, `":[`...)
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendJSONString appends s as a JSON string: as it is between quotes when
// no byte needs escaping (printable ASCII other than '"', '\\' and the
// characters encoding/json escapes for HTML), else as encoding/json
// encodes it.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
