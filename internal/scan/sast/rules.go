package sast

// AllRules returns every built-in rule.
func AllRules() []*Rule {
	var out []*Rule
	out = append(out, goRules()...)
	out = append(out, pyRules()...)
	out = append(out, jsRules()...)
	return out
}
