package policy

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"go.yaml.in/yaml/v3"

	"github.com/wardenhq/warden/internal/finding"
)

// Lock semantics. An organization policy lists dotted keys or whole
// sections under `locks`. For every key a repository file writes under a
// lock, the repository's value is compared with the value in force before
// it (built-in plus organization); it must be at least as strict:
//
//   - ordered values: severity thresholds (gates.fail_on,
//     agent.write_fail_on) may only go lower; decisions only toward deny
//     (allow < ask < deny); classification only up (public < internal <
//     confidential < restricted); models.secrets redact < block;
//     agent.packages.install check < ask < deny; agent.injection off < warn <
//     ask < deny; gates.db_age_action warn < fail; dependency severities
//     off < info < ... < critical.
//   - booleans that switch a protection on (agent.scan_on_stop,
//     agent.session_context, dependencies.typosquat) may not go to false.
//   - limits: gates.max_db_age, models.attestation.max_age, audit.checkpoint_every and
//     audit.checkpoint_interval only shorter (0, no limit, is loosest);
//     audit.retention only longer; gates.max_file_size only larger.
//   - allow lists (models.allow per classification, agent.files.read_allow,
//     agent.files.write_allow, agent.network.allow_domains,
//     agent.mcp.allow_servers) and gates.exclude: only a subset; each
//     repository entry must equal or be matched by an organization entry.
//   - selections that switch checks on (gates.engines, instructions.targets):
//     only a superset.
//   - deny lists and models.require_attestation merge by union, so the
//     effective list is always a superset: nothing to check.
//   - command rules and action rules: a repository may add rules that ask
//     or deny, never allow; a rule with an organization rule's id must keep
//     its match and may only raise its decision. Pattern and secret rules:
//     new ids may be added, organization rules may not be changed.
//   - agent.builtin: each rule's decision may only be raised; a rule the
//     organization does not mention may only be set to deny.
//   - exceptions: a repository may add none.
//   - anything else (names, paths, URLs, free text): may not change.
type lockCtx struct {
	present map[string]*yaml.Node
	lock    string
	out     []lockViolation
}

type lockViolation struct {
	key, lock string
	node      *yaml.Node
	msg       string
}

func (c *lockCtx) add(key, format string, args ...any) {
	c.out = append(c.out, lockViolation{key: key, lock: c.lock, node: c.present[key], msg: fmt.Sprintf(format, args...)})
}

// checkLocks compares repo with base, the policy in force before it, under
// base.Locks.
func checkLocks(base *Policy, orgFile string, repo *parsedFile) error {
	if len(base.Locks) == 0 {
		return nil
	}
	c := &lockCtx{present: repo.present}
	c.walk(reflect.ValueOf(base).Elem(), reflect.ValueOf(repo.policy).Elem(), schemaTree(), base.Locks)
	if len(c.out) == 0 {
		return nil
	}
	var errs Errors
	for _, v := range c.out {
		e := &LockError{Key: v.key, Lock: v.lock, OrgFile: orgFile, RepoFile: repo.name, Msg: v.msg}
		if v.node != nil {
			e.Line, e.Column = v.node.Line, v.node.Column
		}
		errs = append(errs, e)
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errs
}

func coveringLock(key string, locks []string) string {
	for _, l := range locks {
		if key == l || strings.HasPrefix(key, l+".") {
			return l
		}
	}
	return ""
}

func (c *lockCtx) walk(base, repo reflect.Value, node *schemaNode, locks []string) {
	for _, n := range node.children {
		if _, ok := c.present[n.key]; !ok || n.key == "version" || n.key == "locks" {
			continue
		}
		b, r := base.Field(n.index), repo.Field(n.index)
		if n.children != nil {
			c.walk(b, r, n, locks)
			continue
		}
		if l := coveringLock(n.key, locks); l != "" {
			c.lock = l
			c.check(n.key, b, r)
		}
	}
}

// orders lists the values of ordered string keys, loosest first.
var orders = map[string][]string{
	"project.classification":       {"public", "internal", "confidential", "restricted"},
	"models.secrets":               {"redact", "block"},
	"agent.unparseable":            {"allow", "ask", "deny"},
	"agent.network.default":        {"allow", "ask", "deny"},
	"agent.mcp.default":            {"allow", "ask", "deny"},
	"agent.packages.install":       {"check", "ask", "deny"},
	"agent.injection":              {"off", "warn", "ask", "deny"},
	"gates.db_age_action":          {"warn", "fail"},
	"dependencies.unpinned":        {"off", "info", "low", "medium", "high", "critical"},
	"dependencies.install_scripts": {"off", "info", "low", "medium", "high", "critical"},
}

var decisionOrder = orders["agent.unparseable"]

func rank(order []string, v string) int { return slices.Index(order, v) }

func (c *lockCtx) check(key string, b, r reflect.Value) {
	switch key {
	case "gates.fail_on", "agent.write_fail_on":
		bs, rs := b.Interface().(finding.Severity), r.Interface().(finding.Severity)
		if bs.Valid() && (!rs.Valid() || rs > bs) {
			c.add(key, "%s is looser than the organization's %s (only a lower threshold is tighter)", showSev(rs), bs)
		}
	case "agent.scan_on_stop", "agent.session_context", "dependencies.typosquat":
		if b.Bool() && !r.Bool() {
			c.add(key, "may not be turned off")
		}
	case "gates.max_db_age", "audit.checkpoint_interval", "audit.checkpoint_every", "models.attestation.max_age":
		bv, rv := b.Int(), r.Int()
		if bv != 0 && (rv == 0 || rv > bv) {
			c.add(key, "%s is looser than the organization's %s (only shorter is tighter; 0 means no limit)", fmtVal(r), fmtVal(b))
		}
	case "audit.retention":
		bv, rv := b.Int(), r.Int()
		if rv != 0 && (bv == 0 || rv < bv) {
			c.add(key, "%s is shorter than the organization's %s (only longer retention is tighter)", fmtVal(r), fmtVal(b))
		}
	case "models.attestation.sev_snp_minimum_tcb.bootloader", "models.attestation.sev_snp_minimum_tcb.tee",
		"models.attestation.sev_snp_minimum_tcb.snp", "models.attestation.sev_snp_minimum_tcb.microcode":
		if r.Int() < b.Int() {
			c.add(key, "%s is lower than the organization's minimum %s (only a higher minimum is tighter)", fmtVal(r), fmtVal(b))
		}
	case "gates.max_file_size":
		if r.Int() < b.Int() {
			c.add(key, "%s is smaller than the organization's %s: files in between would go unscanned", fmtVal(r), fmtVal(b))
		}
	case "models.allow":
		c.modelsAllow(key, b, r)
	case "agent.files.read_allow", "agent.files.write_allow", "agent.network.allow_domains", "agent.mcp.allow_servers", "gates.exclude":
		c.subset(key, b, r)
	case "gates.engines", "instructions.targets":
		var missing []string
		for i := range b.Len() {
			if indexOf(r, b.Index(i)) < 0 {
				missing = append(missing, b.Index(i).String())
			}
		}
		if len(missing) > 0 {
			c.add(key, "drops %s, which the organization requires", strings.Join(missing, ", "))
		}
	case "agent.builtin":
		iter := r.MapRange()
		for iter.Next() {
			id, rd := iter.Key().String(), iter.Value().String()
			bd := b.MapIndex(iter.Key())
			switch {
			case !bd.IsValid() && rd != string(Deny):
				c.add(key+"."+id, "the organization does not set built-in rule %q, so a repository may only set it to deny, not %s", id, rd)
			case bd.IsValid() && rank(decisionOrder, rd) < rank(decisionOrder, bd.String()):
				c.add(key+"."+id, "%s is looser than the organization's %s", rd, bd.String())
			}
		}
	case "dependencies.registry_url":
		iter := r.MapRange()
		for iter.Next() {
			bv := b.MapIndex(iter.Key())
			if !bv.IsValid() || bv.String() != iter.Value().String() {
				c.add(key+"."+iter.Key().String(), "may not be changed")
			}
		}
	case "agent.commands.rules", "rules.actions":
		c.decisionRules(key, b, r)
	case "rules.patterns", "rules.secrets":
		for i := range r.Len() {
			el := r.Index(i)
			id := el.FieldByName("ID").String()
			if j := indexOfID(b, id); j >= 0 && !reflect.DeepEqual(b.Index(j).Interface(), el.Interface()) {
				c.add(fmt.Sprintf("%s[%d]", key, i), "changes the organization's rule %q; add a rule with a new id instead", id)
			}
		}
	case "exceptions":
		for i := range r.Len() {
			c.add(fmt.Sprintf("%s[%d]", key, i), "a repository may add no exceptions when the organization locks them")
		}
	case "agent.files.read_deny", "agent.files.write_deny", "agent.commands.protected_branches",
		"agent.mcp.deny_tools", "models.require_attestation", "dependencies.internal_scopes", "dependencies.internal_names":
		// Merged by union: the repository can only add.
	default:
		if order, ok := orders[key]; ok {
			if rank(order, r.String()) < rank(order, b.String()) {
				c.add(key, "%s is looser than the organization's %s (order, loosest first: %s)", show(r.String()), b.String(), strings.Join(order, " < "))
			}
			return
		}
		if !reflect.DeepEqual(b.Interface(), r.Interface()) {
			c.add(key, "may not be changed (organization: %s, repository: %s)", fmtVal(b), fmtVal(r))
		}
	}
}

func (c *lockCtx) modelsAllow(key string, b, r reflect.Value) {
	iter := r.MapRange()
	for iter.Next() {
		class := iter.Key()
		bl := b.MapIndex(class)
		rl := iter.Value()
		for i := range rl.Len() {
			p := rl.Index(i).String()
			if !bl.IsValid() || !covered(p, bl) {
				c.add(fmt.Sprintf("%s.%s[%d]", key, class.String(), i), "model %q is not allowed for %s code by the organization", p, class.String())
			}
		}
	}
}

func (c *lockCtx) subset(key string, b, r reflect.Value) {
	for i := range r.Len() {
		p := r.Index(i).String()
		if !covered(p, b) {
			c.add(fmt.Sprintf("%s[%d]", key, i), "%q is not in the organization's list; a repository may only narrow it", p)
		}
	}
}

// covered reports whether pattern p permits nothing that the list of
// patterns does not: it equals one of them, or it is a literal that one of
// them matches. (A repository glob that is not literally in the list is
// treated as wider, the safe answer.)
func covered(p string, list reflect.Value) bool {
	literal := !strings.ContainsAny(p, `*?[{\`)
	for i := range list.Len() {
		q := list.Index(i).String()
		if p == q {
			return true
		}
		if literal {
			if ok, _ := doublestar.Match(q, p); ok {
				return true
			}
		}
	}
	return false
}

func (c *lockCtx) decisionRules(key string, b, r reflect.Value) {
	for i := range r.Len() {
		el := r.Index(i)
		id := el.FieldByName("ID").String()
		ek := fmt.Sprintf("%s[%d]", key, i)
		rd := el.FieldByName("Decision").String()
		j := indexOfID(b, id)
		if j < 0 {
			if rd == string(Allow) {
				c.add(ek, "rule %q allows; under a lock a repository may add rules that ask or deny, not allow", id)
			}
			continue
		}
		be := b.Index(j)
		for _, f := range []string{"Command", "Args", "Kind", "Match"} {
			if bf := be.FieldByName(f); bf.IsValid() && bf.String() != el.FieldByName(f).String() {
				c.add(ek, "changes what the organization's rule %q matches; add a rule with a new id instead", id)
				break
			}
		}
		if bd := be.FieldByName("Decision").String(); rank(decisionOrder, rd) < rank(decisionOrder, bd) {
			c.add(ek, "rule %q: %s is looser than the organization's %s", id, rd, bd)
		}
	}
}

func showSev(s finding.Severity) string {
	if !s.Valid() {
		return "unset"
	}
	return s.String()
}

func show(s string) string {
	if s == "" {
		return "unset"
	}
	return s
}

func fmtVal(v reflect.Value) string {
	if s, ok := v.Interface().(fmt.Stringer); ok {
		return show(s.String())
	}
	if v.Kind() == reflect.String {
		return fmt.Sprintf("%q", v.String())
	}
	return fmt.Sprint(v.Interface())
}
