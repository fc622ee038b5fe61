package policy

import (
	"fmt"
	"time"
)

// Warning is something in a valid policy that is probably not what its
// author wants: it does not fail a load, `warden policy check` prints it.
type Warning struct {
	File string // where the value came from ("builtin" or a path)
	Key  string
	Msg  string
}

func (w Warning) String() string { return fmt.Sprintf("%s: %s: %s", w.File, w.Key, w.Msg) }

// Warnings lists the effective policy's likely mistakes at time now:
// expired exceptions, exceptions without an owner or an expiry, and a
// classification that no model may see.
func (e *Effective) Warnings(now time.Time) []Warning {
	var out []Warning
	for i, x := range e.Exceptions {
		key := fmt.Sprintf("exceptions[%d]", i)
		what := x.Rule
		if x.Fingerprint != "" {
			what = x.Fingerprint
		}
		switch {
		case x.Expires.IsZero():
			out = append(out, Warning{e.Source(key), key, fmt.Sprintf("exception for %s never expires; add expires: YYYY-MM-DD so it is reviewed", what)})
		case x.Expires.Expired(now):
			out = append(out, Warning{e.Source(key), key, fmt.Sprintf("exception for %s expired on %s and no longer suppresses anything; renew or remove it", what, x.Expires)})
		}
		if x.Owner == "" {
			out = append(out, Warning{e.Source(key), key, fmt.Sprintf("exception for %s has no owner", what)})
		}
	}
	if c := e.Project.Classification; c != "" && len(e.Models.Allow[c]) == 0 {
		key := "models.allow." + string(c)
		out = append(out, Warning{e.Source(key), key, fmt.Sprintf("the project is %s but models.allow lets no model see %s code; add the models that may", c, c)})
	}
	return out
}
