package policy

import (
	"bytes"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/bmatcuk/doublestar/v4"
	"go.yaml.in/yaml/v3"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/redact"
)

// MaxFileSize is the largest policy file warden reads. A policy is a page
// of YAML; anything near this size is a mistake or an attack.
const MaxFileSize = 1 << 20

// maxNodes bounds the YAML nodes one file may expand to, counting every
// alias expansion, so a "billion laughs" file fails fast instead of eating
// memory.
const maxNodes = 200_000

// Parse decodes one policy file strictly: unknown keys, wrong types, bad
// globs, regular expressions, severities, classifications, decisions,
// durations, sizes and dates, duplicate keys, a missing or unsupported
// version and an exception without a reason are all errors. Each is an
// *Error naming the file, line, column and dotted key; several are
// returned together as Errors. name is the file name used in errors.
func Parse(name string, data []byte) (*Policy, error) {
	f, err := parseFile(name, data, nil)
	if err != nil {
		return nil, err
	}
	return f.policy, nil
}

// parsedFile is one decoded layer: the values, and which keys the file
// actually wrote (dotted key with list indexes -> value node), which the
// merge and the lock checks need to tell "set to false" from "not set".
type parsedFile struct {
	name    string
	policy  *Policy
	present map[string]*yaml.Node
}

func parseFile(name string, data []byte, regexps map[string]*regexp.Regexp) (f *parsedFile, err error) {
	el := &errorList{file: name}
	defer func() {
		// The YAML library is third-party code fed user input: a panic in
		// it is reported as an error in the file, never a crash.
		if r := recover(); r != nil {
			f, err = nil, &Error{File: name, Msg: fmt.Sprintf("cannot parse: %v", r)}
		}
	}()
	if len(data) > MaxFileSize {
		return nil, &Error{File: name, Msg: fmt.Sprintf("file is %d bytes; a policy may be at most %d", len(data), MaxFileSize)}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: name, Msg: `empty policy: it needs at least "version: 1"`}
		}
		return nil, yamlError(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, yamlError(name, err)
		}
		return nil, &Error{File: name, Line: extra.Line, Column: extra.Column, Msg: "a policy file holds one YAML document; remove the second '---' document"}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if regexps == nil {
		regexps = map[string]*regexp.Regexp{}
	}
	d := &decoder{el: el, present: map[string]*yaml.Node{}, regexps: regexps}
	p := new(Policy)
	d.value(root, reflect.ValueOf(p).Elem(), "", "")
	if root.Kind == yaml.MappingNode {
		if vn, ok := d.present["version"]; !ok {
			el.add(root, "version", `missing: a policy starts with "version: %d"`, SchemaVersion)
		} else if p.Version != SchemaVersion && vn.ShortTag() == "!!int" {
			el.add(vn, "version", "unsupported version %d: this warden reads version %d", p.Version, SchemaVersion)
		}
		for i, l := range p.Locks {
			if !lockable()[l] {
				el.add(d.present[fmt.Sprintf("locks[%d]", i)], fmt.Sprintf("locks[%d]", i), "unknown key %q%s", clip(l), suggest(l, lockableList()))
			}
		}
	}
	if err := el.err(); err != nil {
		return nil, err
	}
	return &parsedFile{name: name, policy: p, present: d.present}, nil
}

func yamlError(name string, err error) error {
	msg := err.Error()
	// "yaml: line 3: did not find expected key"
	if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
		if num, text, ok := strings.Cut(rest, ": "); ok {
			if line, err := strconv.Atoi(num); err == nil {
				return &Error{File: name, Line: line, Column: 1, Msg: "invalid YAML: " + text}
			}
		}
	}
	return &Error{File: name, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

type decoder struct {
	el      *errorList
	present map[string]*yaml.Node
	regexps map[string]*regexp.Regexp
	visits  int
}

var (
	typeClassification = reflect.TypeFor[Classification]()
	typeDecision       = reflect.TypeFor[Decision]()
	typeSeverity       = reflect.TypeFor[finding.Severity]()
	typeDuration       = reflect.TypeFor[Duration]()
	typeByteSize       = reflect.TypeFor[ByteSize]()
	typeDate           = reflect.TypeFor[Date]()
)

// Classifications lists the valid classifications, least sensitive first.
var Classifications = []Classification{Public, Internal, Confidential, Restricted}

// Decisions lists the valid decisions, most permissive first.
var Decisions = []Decision{Allow, Ask, Deny}

// Engines lists the engine names gates.engines accepts.
var Engines = []string{"secrets", "sast", "deps", "config", "custom"}

// enums are the closed sets of values of plain string keys (normalized
// key: list indexes dropped, map keys written "*").
var enums = map[string][]string{
	"models.secrets":               {"redact", "block"},
	"agent.injection":              {"off", "warn", "ask", "deny"},
	"agent.packages.install":       {"check", "ask", "deny"},
	"gates.engines":                Engines,
	"gates.db_age_action":          {"warn", "fail"},
	"rules.actions.kind":           {"exec", "read", "write", "edit", "fetch", "mcp", "prompt", "install"},
	"instructions.targets":         {"claude", "agents", "gemini", "cursor", "copilot"},
	"dependencies.unpinned":        {"off", "info", "low", "medium", "high", "critical"},
	"dependencies.install_scripts": {"off", "info", "low", "medium", "high", "critical"},
}

type check int

const (
	checkGlob check = iota + 1
	checkRegex
	checkURL
	checkID
	checkCWE
	checkFingerprint
	checkNonEmpty
	checkHex
	checkTCBSVN
)

// checks validate string values beyond their type.
var checks = map[string]check{
	"agent.files.read_deny":                      checkGlob,
	"agent.files.read_allow":                     checkGlob,
	"agent.files.write_allow":                    checkGlob,
	"agent.files.write_deny":                     checkGlob,
	"agent.commands.protected_branches":          checkGlob,
	"agent.network.allow_domains":                checkGlob,
	"agent.mcp.allow_servers":                    checkGlob,
	"agent.mcp.deny_tools":                       checkGlob,
	"models.allow.*":                             checkGlob,
	"gates.exclude":                              checkGlob,
	"rules.patterns.paths":                       checkGlob,
	"exceptions.path":                            checkGlob,
	"dependencies.internal_scopes":               checkGlob,
	"dependencies.internal_names":                checkGlob,
	"agent.commands.rules.args":                  checkRegex,
	"rules.patterns.regex":                       checkRegex,
	"rules.secrets.regex":                        checkRegex,
	"rules.actions.match":                        checkRegex,
	"dependencies.db_url":                        checkURL,
	"models.attestation.jwks_url":                checkURL,
	"models.attestation.measurements.*":          checkHex,
	"models.attestation.tdx_minimum_tee_tcb_svn": checkTCBSVN,
	"models.attestation.tdx_rtmrs.*":             checkHex,
	"dependencies.registry_url.*":                checkURL,
	"agent.commands.rules.id":                    checkID,
	"rules.patterns.id":                          checkID,
	"rules.secrets.id":                           checkID,
	"rules.actions.id":                           checkID,
	"exceptions.rule":                            checkID,
	"rules.patterns.cwe":                         checkCWE,
	"exceptions.fingerprint":                     checkFingerprint,
	"agent.commands.rules.command":               checkNonEmpty,
	"rules.secrets.keywords":                     checkNonEmpty,
	"rules.patterns.message":                     checkNonEmpty,
}

// required keys of list elements, by the list's normalized key.
var required = map[string][]string{
	"agent.commands.rules": {"id", "command", "decision"},
	"rules.patterns":       {"id", "regex", "severity", "message"},
	"rules.secrets":        {"id", "regex", "severity"},
	"rules.actions":        {"id", "kind", "match", "decision"},
	"exceptions":           {"reason"},
}

// idLists are lists whose elements carry an id that must be unique.
var idLists = map[string]bool{
	"agent.commands.rules": true, "rules.patterns": true, "rules.secrets": true, "rules.actions": true,
}

// Hand-written rather than regular expressions: package initialization is
// paid by every hook process.

// validID: a letter or digit, then letters, digits and . _ : / -
func validID(s string) bool {
	for i, r := range s {
		alnum := r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r))
		if !alnum && (i == 0 || !strings.ContainsRune("._:/-", r)) {
			return false
		}
	}
	return s != ""
}

// validCWE: CWE-<digits>
func validCWE(s string) bool {
	n, ok := strings.CutPrefix(s, "CWE-")
	return ok && n != "" && strings.Trim(n, "0123456789") == ""
}

// validFingerprint: 16 to 64 lowercase hex digits
func validFingerprint(s string) bool {
	return len(s) >= 16 && len(s) <= 64 && strings.Trim(s, "0123456789abcdef") == ""
}

func join(key, name string) string {
	if key == "" {
		return name
	}
	return key + "." + name
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return fmt.Sprintf("the string %q", clip(n.Value))
		case "!!int", "!!float":
			return "the number " + clip(n.Value)
		case "!!bool":
			return "the boolean " + n.Value
		case "!!null":
			return "null"
		case "!!timestamp":
			return "the date " + clip(n.Value)
		default:
			return "a value tagged " + n.ShortTag()
		}
	default:
		return "a YAML value"
	}
}

// clip prepares a value from the file for an error message: shortened,
// and masked when it looks like a credential (a policy is committed to a
// repository, so one pasted into it must not be echoed into CI logs too).
func clip(s string) string {
	if looksSecret(s) {
		return redact.Mask(s)
	}
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// looksSecret: long, no spaces, letters and digits mixed: a token, not a
// name, glob or word.
func looksSecret(s string) bool {
	if len(s) < 16 || strings.ContainsAny(s, " \t\n*") {
		return false
	}
	var letter, digit bool
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			letter = true
		case unicode.IsDigit(r):
			digit = true
		}
	}
	return letter && digit
}

func (d *decoder) value(n *yaml.Node, v reflect.Value, key, norm string) {
	d.visits++
	if d.visits > maxNodes {
		if d.visits == maxNodes+1 {
			d.el.add(n, key, "the file expands to more than %d values (aliases?); simplify it", maxNodes)
		}
		return
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			d.el.add(n, key, "unresolved alias")
			return
		}
		d.value(n.Alias, v, key, norm)
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		// An empty section, list or map is empty; an empty scalar is a
		// mistake (an unset severity or decision would read as "nothing").
		switch {
		case v.Kind() == reflect.Slice || v.Kind() == reflect.Map || (v.Kind() == reflect.Struct && !isLeafStruct(v.Type())):
			v.Set(reflect.Zero(v.Type()))
		default:
			d.el.add(n, key, "no value: give one, or remove the key to keep the default")
		}
		return
	}
	if tu, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
		d.text(n, tu, v.Type(), key)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.structure(n, v, key, norm)
	case reflect.Slice:
		d.list(n, v, key, norm)
	case reflect.Map:
		d.mapping(n, v, key, norm)
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
			hint := ""
			if n.Kind == yaml.ScalarNode {
				hint = ` (quote it: "` + clip(n.Value) + `")`
			}
			d.el.add(n, key, "want a string, got %s%s", describe(n), hint)
			return
		}
		v.SetString(n.Value)
		d.checkString(n, v.Type(), key, norm, n.Value)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			d.el.add(n, key, "want true or false, got %s", describe(n))
			return
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			d.el.add(n, key, "want true or false, got %s", describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		var i int64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			d.el.add(n, key, "want a whole number, got %s", describe(n))
			return
		}
		if i < 0 {
			d.el.add(n, key, "want a number of at least 0, got %d", i)
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		var f float64
		tag := n.ShortTag()
		if n.Kind != yaml.ScalarNode || (tag != "!!int" && tag != "!!float") || n.Decode(&f) != nil {
			d.el.add(n, key, "want a number, got %s", describe(n))
			return
		}
		if norm == "rules.secrets.entropy" && !(f >= 0 && f <= 8) {
			d.el.add(n, key, "entropy is in bits per character, between 0 and 8; got %v", f)
			return
		}
		v.SetFloat(f)
	default:
		// The schema uses only the kinds above; a new kind is a bug here.
		panic(fmt.Sprintf("policy: schema field %s has unsupported kind %s", key, v.Kind()))
	}
}

func (d *decoder) text(n *yaml.Node, tu encoding.TextUnmarshaler, t reflect.Type, key string) {
	want := map[reflect.Type]string{
		typeSeverity: "a severity (info, low, medium, high, critical)",
		typeDuration: "a duration (30m, 12h, 7d, 2w)",
		typeByteSize: "a size (512KiB, 1MiB, 10MB)",
		typeDate:     "a date (YYYY-MM-DD)",
	}[t]
	if n.Kind != yaml.ScalarNode {
		d.el.add(n, key, "want %s, got %s", want, describe(n))
		return
	}
	if err := tu.UnmarshalText([]byte(n.Value)); err != nil {
		if looksSecret(n.Value) {
			d.el.add(n, key, "want %s, got %s", want, describe(n))
			return
		}
		d.el.add(n, key, "%v", err)
	}
}

func (d *decoder) checkString(n *yaml.Node, t reflect.Type, key, norm, s string) {
	switch t {
	case typeClassification:
		if !slices.Contains(Classifications, Classification(s)) {
			d.el.add(n, key, "unknown classification %q (want one of public, internal, confidential, restricted)", clip(s))
		}
		return
	case typeDecision:
		if !slices.Contains(Decisions, Decision(s)) {
			d.el.add(n, key, "unknown decision %q (want one of allow, ask, deny)", clip(s))
		}
		return
	}
	if allowed, ok := enums[norm]; ok {
		if !slices.Contains(allowed, s) {
			what := "value"
			if norm == "gates.engines" {
				what = "engine"
			}
			d.el.add(n, key, "unknown %s %q (want one of %s)%s", what, clip(s), strings.Join(allowed, ", "), suggest(s, allowed))
		}
		return
	}
	switch checks[norm] {
	case checkGlob:
		if s == "" || !doublestar.ValidatePattern(s) {
			d.el.add(n, key, "bad glob %q (see https://github.com/bmatcuk/doublestar#patterns)", clip(s))
		}
	case checkRegex:
		if s == "" {
			d.el.add(n, key, "empty regular expression")
			return
		}
		if _, ok := d.regexps[s]; ok {
			return
		}
		re, err := regexp.Compile(s)
		if err != nil {
			var se *syntax.Error
			if errors.As(err, &se) {
				d.el.add(n, key, "bad regular expression: %s: `%s`", se.Code, clip(se.Expr))
			} else {
				d.el.add(n, key, "bad regular expression")
			}
			return
		}
		d.regexps[s] = re
	case checkURL:
		// The URL is never echoed: a bad one may carry credentials.
		u, err := url.Parse(s)
		switch {
		case err != nil || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "file") || (u.Scheme != "file" && u.Host == ""):
			d.el.add(n, key, "bad URL (want https://host/path or file:///path)")
		case u.User != nil:
			d.el.add(n, key, "the URL carries credentials (user:password@): a policy is committed, keep credentials in the tool's own configuration")
		}
	case checkID:
		if !validID(s) {
			d.el.add(n, key, "bad id %q: use letters, digits and . _ : / - (e.g. acme-no-terraform-destroy)", clip(s))
		}
	case checkCWE:
		if s != "" && !validCWE(s) {
			d.el.add(n, key, "bad CWE %q (want CWE-<number>, e.g. CWE-798)", clip(s))
		}
	case checkFingerprint:
		if !validFingerprint(s) {
			d.el.add(n, key, "bad fingerprint %q (want the lowercase hex fingerprint a report prints)", clip(s))
		}
	case checkNonEmpty:
		if strings.TrimSpace(s) == "" {
			d.el.add(n, key, "must not be empty")
		}
	case checkHex:
		if b, err := hex.DecodeString(strings.TrimPrefix(s, "0x")); err != nil || len(b) < 16 {
			d.el.add(n, key, "bad measurement %q (want the hex of at least 16 bytes)", clip(s))
		}
	case checkTCBSVN:
		if b, err := hex.DecodeString(strings.TrimPrefix(s, "0x")); s != "" && (err != nil || len(b) != 16) {
			d.el.add(n, key, "bad TEE_TCB_SVN %q (want the hex of exactly 16 bytes, or empty)", clip(s))
		}
	}
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, key, norm string) {
	if n.Kind != yaml.MappingNode {
		d.el.add(n, key, "want a mapping (key: value), got %s", describe(n))
		return
	}
	fi := fieldsOf(v.Type())
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.el.add(k, key, "a key must be a plain name, got %s", describe(k))
			continue
		}
		name := k.Value
		ck := join(key, name)
		if first, dup := seen[name]; dup {
			d.el.add(k, join(key, clip(name)), "duplicate key (first at line %d)", first.Line)
			continue
		}
		seen[name] = k
		idx, ok := fi.byName[name]
		if !ok {
			d.el.add(k, join(key, clip(name)), "unknown key%s", suggest(name, fi.names))
			continue
		}
		d.present[ck] = val
		d.value(val, v.Field(idx), ck, join(norm, name))
	}
	for _, r := range required[norm] {
		if _, ok := seen[r]; !ok {
			msg := "missing " + r
			if norm == "exceptions" {
				msg += ": every exception needs a reason saying why the finding is acceptable"
			}
			d.el.add(n, join(key, r), "%s", msg)
		}
	}
	if norm == "exceptions" {
		_, fp := seen["fingerprint"]
		_, rule := seen["rule"]
		if !fp && !rule {
			d.el.add(n, key, "an exception needs a fingerprint, or a rule (optionally with a path)")
		}
	}
}

func (d *decoder) list(n *yaml.Node, v reflect.Value, key, norm string) {
	if n.Kind != yaml.SequenceNode {
		hint := ""
		if n.Kind == yaml.ScalarNode {
			hint = " (for one item write [" + clip(n.Value) + "] or a '- item' line)"
		}
		d.el.add(n, key, "want a list, got %s%s", describe(n), hint)
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, el := range n.Content {
		ek := fmt.Sprintf("%s[%d]", key, i)
		d.present[ek] = el
		d.value(el, s.Index(i), ek, norm)
	}
	v.Set(s)
	if idLists[norm] {
		first := map[string]int{}
		for i := range s.Len() {
			id := s.Index(i).FieldByName("ID").String()
			if id == "" {
				continue
			}
			if j, dup := first[id]; dup {
				d.el.add(n.Content[i], fmt.Sprintf("%s[%d].id", key, i), "duplicate id %q (also %s[%d])", clip(id), key, j)
				continue
			}
			first[id] = i
		}
	}
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, key, norm string) {
	if n.Kind != yaml.MappingNode {
		d.el.add(n, key, "want a mapping (key: value), got %s", describe(n))
		return
	}
	t := v.Type()
	m := reflect.MakeMapWithSize(t, len(n.Content)/2)
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			d.el.add(k, key, "a key must be a plain name, got %s", describe(k))
			continue
		}
		ck := join(key, k.Value)
		if first, dup := seen[k.Value]; dup {
			d.el.add(k, join(key, clip(k.Value)), "duplicate key (first at line %d)", first.Line)
			continue
		}
		seen[k.Value] = k
		kv := reflect.New(t.Key()).Elem()
		kv.SetString(k.Value)
		switch {
		case t.Key() == typeClassification:
			if !slices.Contains(Classifications, Classification(k.Value)) {
				d.el.add(k, join(key, clip(k.Value)), "unknown classification %q (want one of public, internal, confidential, restricted)%s",
					clip(k.Value), suggest(k.Value, []string{"public", "internal", "confidential", "restricted"}))
				continue
			}
		case !validID(k.Value):
			d.el.add(k, join(key, clip(k.Value)), "bad name %q: use letters, digits and . _ : / -", clip(k.Value))
			continue
		}
		d.present[ck] = val
		ev := reflect.New(t.Elem()).Elem()
		d.value(val, ev, ck, norm+".*")
		m.SetMapIndex(kv, ev)
	}
	v.Set(m)
}

// fieldInfo is a struct type's yaml keys.
type fieldInfo struct {
	names  []string // schema order
	sorted []string // byte order, for the canonical form
	byName map[string]int
}

var fieldCache sync.Map // reflect.Type -> *fieldInfo

func fieldsOf(t reflect.Type) *fieldInfo {
	if fi, ok := fieldCache.Load(t); ok {
		return fi.(*fieldInfo)
	}
	fi := &fieldInfo{byName: map[string]int{}}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		fi.names = append(fi.names, name)
		fi.byName[name] = i
	}
	fi.sorted = slices.Sorted(slices.Values(fi.names))
	fieldCache.Store(t, fi)
	return fi
}

// suggest returns " (did you mean "x"?)" for the closest candidate, or the
// list of valid names when none is close.
func suggest(got string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(got), c); d < bestD {
			best, bestD = c, d
		}
	}
	if best != "" && bestD <= max(2, len(got)/3) {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	if len(candidates) > 0 && len(candidates) <= 12 {
		return " (valid: " + strings.Join(candidates, ", ") + ")"
	}
	return ""
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
