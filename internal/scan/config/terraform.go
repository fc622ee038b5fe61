package config

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// terraform checks a .tf file, parsed with HashiCorp's own HCL parser.
// Values are only judged when they are literals: an expression that
// depends on a variable or another resource is not guessed at.
func (s *scanner) terraform() error {
	// HCL's parser recurses per nesting level: a hostile file of a million
	// "[" would overflow the stack and kill the process, so refuse deep
	// nesting before parsing.
	if line, ok := nestingWithin(s.src, maxHCLNesting); !ok {
		return &parseError{line: line, col: 1, err: fmt.Errorf("brackets nested more than %d deep", maxHCLNesting)}
	}
	body, diags := parseHCL(s.src, s.path)
	if diags.HasErrors() {
		line, col := 1, 1
		for _, d := range diags {
			if d.Severity == hcl.DiagError && d.Subject != nil {
				line, col = d.Subject.Start.Line, d.Subject.Start.Column
				break
			}
		}
		return &parseError{line: line, col: col, err: diags}
	}
	s.tfBody(body)
	return nil
}

// tfBody checks a parsed file's top-level blocks.
func (s *scanner) tfBody(body *hclsyntax.Body) {
	if body == nil {
		return
	}
	for _, b := range body.Blocks {
		switch b.Type {
		case "resource":
			if len(b.Labels) == 2 {
				s.tfResource(b.Labels[0], b)
			}
		case "data":
			if len(b.Labels) == 2 && b.Labels[0] == "aws_iam_policy_document" {
				s.tfPolicyDocument(b)
			}
		case "provider":
			s.tfSecrets(b.Body, "provider")
		case "variable":
			if len(b.Labels) == 1 && isSecretName(b.Labels[0]) {
				if a := b.Body.Attributes["default"]; a != nil {
					if v, ok := tfString(a.Expr); ok && isLiteralSecret(v) {
						s.emit("tf-hardcoded-secret", a.SrcRange.Start.Line, a.SrcRange.Start.Column, "variable "+b.Labels[0]+" has a hard-coded default", v)
					}
				}
			}
		}
	}
}

// maxHCLNesting is far beyond any real configuration.
const maxHCLNesting = 256

// nestingWithin reports whether brackets in src nest at most limit deep,
// and if not, the line where the limit is passed. Brackets in strings and
// comments count too: a real file never comes near the limit either way.
func nestingWithin(src []byte, limit int) (int, bool) {
	depth, line := 0, 1
	for _, c := range src {
		switch c {
		case '\n':
			line++
		case '[', '{', '(':
			depth++
			if depth > limit {
				return line, false
			}
		case ']', '}', ')':
			if depth > 0 {
				depth--
			}
		}
	}
	return line, true
}

// tfValue evaluates an expression that needs no variables; ok is false for
// anything that is not a known literal.
func tfValue(e hcl.Expression) (cty.Value, bool) {
	v, diags := e.Value(nil)
	if diags.HasErrors() || !v.IsWhollyKnown() || v.IsNull() {
		return cty.NilVal, false
	}
	v, _ = v.Unmark()
	return v, true
}

func tfString(e hcl.Expression) (string, bool) {
	v, ok := tfValue(e)
	if !ok {
		return "", false
	}
	switch v.Type() {
	case cty.String:
		return v.AsString(), true
	case cty.Bool:
		return strconv.FormatBool(v.True()), true
	case cty.Number:
		return numberText(v), true
	}
	return "", false
}

// numberText formats a cty number; integers (ports, sizes) take the fast
// path, as big.Float's shortest formatting dominates a scan otherwise.
func numberText(v cty.Value) string {
	bf := v.AsBigFloat()
	if i, acc := bf.Int64(); acc == big.Exact {
		return strconv.FormatInt(i, 10)
	}
	return bf.Text('g', 12)
}

func tfStrings(e hcl.Expression) ([]string, bool) {
	v, ok := tfValue(e)
	if !ok {
		return nil, false
	}
	if v.Type() == cty.String {
		return []string{v.AsString()}, true
	}
	if !v.CanIterateElements() {
		return nil, false
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, ev := it.Element()
		if ev.IsNull() || !ev.IsKnown() {
			continue
		}
		switch ev.Type() {
		case cty.String:
			out = append(out, ev.AsString())
		case cty.Number:
			out = append(out, numberText(ev))
		}
	}
	return out, true
}

// tfAttr reads attribute name of a block: present says it is written at
// all, ok that its literal value is known.
func tfAttr(b *hclsyntax.Body, name string) (val string, present, ok bool, at hcl.Pos) {
	a := b.Attributes[name]
	if a == nil {
		return "", false, false, hcl.Pos{}
	}
	v, ok := tfString(a.Expr)
	return v, true, ok, a.SrcRange.Start
}

func (s *scanner) emitAt(id string, p hcl.Pos, detail string, secrets ...string) {
	s.emit(id, p.Line, p.Column, detail, secrets...)
}

func (s *scanner) tfResource(typ string, b *hclsyntax.Block) {
	body := b.Body
	start := b.TypeRange.Start
	name := typ + "." + b.Labels[1]
	switch typ {
	case "aws_s3_bucket", "aws_s3_bucket_acl":
		if v, _, ok, at := tfAttr(body, "acl"); ok && isPublicACL(v) {
			s.emitAt("tf-public-bucket-acl", at, name+" sets acl = \""+v+"\"")
		}
	case "azurerm_storage_container":
		if v, _, ok, at := tfAttr(body, "container_access_type"); ok && (v == "blob" || v == "container") {
			s.emitAt("tf-public-bucket-acl", at, name+" allows anonymous "+v+" access")
		}
	case "azurerm_storage_account":
		for _, k := range []string{"allow_nested_items_to_be_public", "allow_blob_public_access"} {
			if v, _, ok, at := tfAttr(body, k); ok && v == "true" {
				s.emitAt("tf-public-bucket-acl", at, name+" sets "+k+" = true")
			}
		}
	case "aws_s3_bucket_public_access_block", "aws_s3_account_public_access_block":
		for _, k := range []string{"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"} {
			if v, _, ok, at := tfAttr(body, k); ok && v == "false" {
				s.emitAt("tf-public-access-block-disabled", at, name+" sets "+k+" = false")
			}
		}
	case "aws_security_group":
		for _, ib := range body.Blocks {
			if ib.Type == "ingress" {
				s.tfIngress(name, ib.Body, ib.TypeRange.Start)
			}
		}
	case "aws_security_group_rule":
		if v, _, ok, _ := tfAttr(body, "type"); ok && v == "ingress" {
			s.tfIngress(name, body, start)
		}
	case "aws_vpc_security_group_ingress_rule":
		s.tfIngress(name, body, start)
	case "google_compute_firewall":
		s.tfGCPFirewall(name, body, start)
	case "azurerm_network_security_rule":
		s.tfAzureRule(name, body, start)
	case "azurerm_network_security_group":
		for _, rb := range body.Blocks {
			if rb.Type == "security_rule" {
				s.tfAzureRule(name, rb.Body, rb.TypeRange.Start)
			}
		}
	case "aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy":
		if a := body.Attributes["policy"]; a != nil {
			s.tfPolicyExpr(a.Expr)
		}
	case "aws_iam_role":
		for _, ib := range body.Blocks {
			if ib.Type == "inline_policy" {
				if a := ib.Body.Attributes["policy"]; a != nil {
					s.tfPolicyExpr(a.Expr)
				}
			}
		}
	case "aws_ebs_volume":
		if v, present, ok, at := tfAttr(body, "encrypted"); !present {
			s.emitAt("tf-unencrypted-ebs", start, name+" does not set encrypted")
		} else if ok && v == "false" {
			s.emitAt("tf-unencrypted-ebs", at, name+" sets encrypted = false")
		}
	case "aws_instance", "aws_launch_template":
		s.tfInstance(name, body, start)
	case "aws_db_instance", "aws_rds_cluster":
		if _, replica, _, _ := tfAttr(body, "replicate_source_db"); !replica {
			if v, present, ok, at := tfAttr(body, "storage_encrypted"); !present {
				s.emitAt("tf-unencrypted-rds", start, name+" does not set storage_encrypted")
			} else if ok && v == "false" {
				s.emitAt("tf-unencrypted-rds", at, name+" sets storage_encrypted = false")
			}
		}
		if v, _, ok, at := tfAttr(body, "publicly_accessible"); ok && v == "true" {
			s.emitAt("tf-rds-public", at, name+" sets publicly_accessible = true")
		}
		s.tfSecrets(body, name)
	case "aws_efs_file_system":
		if v, present, ok, at := tfAttr(body, "encrypted"); !present {
			s.emitAt("tf-unencrypted-efs", start, name+" does not set encrypted")
		} else if ok && v == "false" {
			s.emitAt("tf-unencrypted-efs", at, name+" sets encrypted = false")
		}
	case "google_storage_bucket_iam_member", "google_storage_bucket_iam_binding", "google_storage_bucket_access_control", "google_storage_default_object_access_control":
		for _, k := range []string{"member", "members", "entity"} {
			a := body.Attributes[k]
			if a == nil {
				continue
			}
			vals, _ := tfStrings(a.Expr)
			for _, m := range vals {
				if m == "allUsers" || m == "allAuthenticatedUsers" {
					s.emitAt("tf-gcs-public", a.SrcRange.Start, name+" grants access to "+m)
				}
			}
		}
	default:
		s.tfSecrets(body, name)
	}
}

func isPublicACL(v string) bool {
	switch v {
	case "public-read", "public-read-write", "authenticated-read":
		return true
	}
	return false
}

// tfSecrets reports credential-named attributes holding literal strings.
func (s *scanner) tfSecrets(body *hclsyntax.Body, where string) {
	for name, a := range body.Attributes {
		if !isSecretName(name) || strings.HasSuffix(name, "_wo") {
			continue
		}
		if _, isTmpl := a.Expr.(*hclsyntax.TemplateExpr); !isTmpl {
			if _, isLit := a.Expr.(*hclsyntax.LiteralValueExpr); !isLit {
				continue
			}
		}
		if v, ok := tfString(a.Expr); ok && isLiteralSecret(v) {
			s.emitAt("tf-hardcoded-secret", a.SrcRange.Start, where+" sets "+name+" to a literal value", v)
		}
	}
}

func (s *scanner) tfInstance(name string, body *hclsyntax.Body, start hcl.Pos) {
	var meta *hclsyntax.Body
	for _, b := range body.Blocks {
		switch b.Type {
		case "metadata_options":
			meta = b.Body
		case "root_block_device", "ebs_block_device":
			if v, _, ok, at := tfAttr(b.Body, "encrypted"); ok && v == "false" {
				s.emitAt("tf-unencrypted-ebs", at, name+" "+b.Type+" sets encrypted = false")
			}
		}
	}
	if meta == nil {
		s.emitAt("tf-imdsv1", start, name+" has no metadata_options, so IMDSv1 is enabled")
	} else if v, present, ok, at := tfAttr(meta, "http_tokens"); !present {
		s.emitAt("tf-imdsv1", start, name+" metadata_options does not require http_tokens")
	} else if ok && v != "required" {
		s.emitAt("tf-imdsv1", at, name+" sets http_tokens = \""+v+"\"")
	}
	s.tfSecrets(body, name)
}

// adminPorts are ports whose exposure to the internet is an incident.
var adminPorts = []int{20, 21, 22, 23, 135, 139, 445, 1433, 1521, 2049, 2375, 2376, 3306, 3389, 5432, 5900, 5984, 6379, 7000, 7001, 8086, 9042, 9200, 9300, 11211, 27017, 27018}

func adminPortIn(from, to int) (int, bool) {
	for _, p := range adminPorts {
		if p >= from && p <= to {
			return p, true
		}
	}
	return 0, false
}

func isOpenCIDR(c string) bool {
	c = strings.TrimSpace(c)
	return c == "0.0.0.0/0" || c == "::/0" || c == "*" || strings.EqualFold(c, "internet") || strings.EqualFold(c, "any")
}

func (s *scanner) tfIngress(name string, body *hclsyntax.Body, at hcl.Pos) {
	var open bool
	for _, k := range []string{"cidr_blocks", "ipv6_cidr_blocks", "cidr_ipv4", "cidr_ipv6"} {
		if a := body.Attributes[k]; a != nil {
			vals, _ := tfStrings(a.Expr)
			for _, c := range vals {
				if isOpenCIDR(c) {
					open = true
					at = a.SrcRange.Start
				}
			}
		}
	}
	if !open {
		return
	}
	proto, _, _, _ := tfAttr(body, "protocol")
	if p, _, ok, _ := tfAttr(body, "ip_protocol"); ok {
		proto = p
	}
	from, fok := tfInt(body, "from_port")
	to, tok := tfInt(body, "to_port")
	if proto == "-1" || strings.EqualFold(proto, "all") {
		s.emitAt("tf-open-admin-port", at, name+" allows all traffic from the internet")
		return
	}
	if !fok || !tok {
		return
	}
	if p, ok := adminPortIn(from, to); ok {
		s.emitAt("tf-open-admin-port", at, name+" opens port "+strconv.Itoa(p)+" to the internet")
	}
}

func tfInt(body *hclsyntax.Body, name string) (int, bool) {
	v, _, ok, _ := tfAttr(body, name)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(v)
	return i, err == nil
}

func (s *scanner) tfGCPFirewall(name string, body *hclsyntax.Body, start hcl.Pos) {
	if v, _, ok, _ := tfAttr(body, "direction"); ok && v != "INGRESS" {
		return
	}
	a := body.Attributes["source_ranges"]
	if a == nil {
		return
	}
	ranges, _ := tfStrings(a.Expr)
	open := false
	for _, r := range ranges {
		open = open || isOpenCIDR(r)
	}
	if !open {
		return
	}
	for _, ab := range body.Blocks {
		if ab.Type != "allow" {
			continue
		}
		proto, _, _, _ := tfAttr(ab.Body, "protocol")
		pa := ab.Body.Attributes["ports"]
		if pa == nil {
			if proto == "all" || proto == "tcp" || proto == "udp" {
				s.emitAt("tf-open-admin-port", a.SrcRange.Start, name+" allows every "+proto+" port from the internet")
			}
			continue
		}
		ports, _ := tfStrings(pa.Expr)
		for _, p := range ports {
			if ap, ok := portSpecAdmin(p); ok {
				s.emitAt("tf-open-admin-port", a.SrcRange.Start, name+" opens port "+strconv.Itoa(ap)+" to the internet")
				break
			}
		}
	}
	_ = start
}

// portSpecAdmin reads "22", "1000-2000" or "*" and reports an admin port in it.
func portSpecAdmin(p string) (int, bool) {
	p = strings.TrimSpace(p)
	if p == "*" {
		return 22, true
	}
	lo, hi, isRange := strings.Cut(p, "-")
	from, err := strconv.Atoi(strings.TrimSpace(lo))
	if err != nil {
		return 0, false
	}
	to := from
	if isRange {
		if to, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
			return 0, false
		}
	}
	return adminPortIn(from, to)
}

func (s *scanner) tfAzureRule(name string, body *hclsyntax.Body, start hcl.Pos) {
	if v, _, ok, _ := tfAttr(body, "direction"); !ok || v != "Inbound" {
		return
	}
	if v, _, ok, _ := tfAttr(body, "access"); !ok || v != "Allow" {
		return
	}
	var srcs []string
	at := start
	for _, k := range []string{"source_address_prefix", "source_address_prefixes"} {
		if a := body.Attributes[k]; a != nil {
			vals, _ := tfStrings(a.Expr)
			srcs = append(srcs, vals...)
			at = a.SrcRange.Start
		}
	}
	open := false
	for _, c := range srcs {
		open = open || isOpenCIDR(c)
	}
	if !open {
		return
	}
	var ports []string
	for _, k := range []string{"destination_port_range", "destination_port_ranges"} {
		if a := body.Attributes[k]; a != nil {
			vals, _ := tfStrings(a.Expr)
			ports = append(ports, vals...)
		}
	}
	for _, p := range ports {
		if ap, ok := portSpecAdmin(p); ok {
			s.emitAt("tf-open-admin-port", at, name+" opens port "+strconv.Itoa(ap)+" to the internet")
			return
		}
	}
}

// tfPolicyExpr checks an IAM policy given as jsonencode({...}) or as a
// JSON string (quoted or heredoc).
func (s *scanner) tfPolicyExpr(e hclsyntax.Expression) {
	if call, ok := e.(*hclsyntax.FunctionCallExpr); ok {
		if call.Name == "jsonencode" && len(call.Args) == 1 {
			s.iamDocument(hclToNode(call.Args[0], 0), "tf")
		}
		return
	}
	v, ok := tfString(e)
	if !ok {
		return
	}
	doc, err := parseJSON([]byte(v))
	if err != nil {
		return
	}
	// Shift JSON positions to where the string starts in the file.
	r := e.Range()
	base := r.Start.Line
	if _, heredoc := e.(*hclsyntax.TemplateExpr); heredoc && strings.HasPrefix(strings.TrimSpace(string(r.SliceBytes(s.src))), "<<") {
		base++
	}
	shift(doc, base-1, 0)
	s.iamDocument(doc, "tf")
}

func shift(n *node, dl, depth int) {
	if n == nil || depth > maxDepth {
		return
	}
	n.line += dl
	for _, c := range n.keys {
		shift(c, dl, depth+1)
	}
	for _, c := range n.vals {
		shift(c, dl, depth+1)
	}
	for _, c := range n.items {
		shift(c, dl, depth+1)
	}
}

// hclToNode turns an HCL object/tuple expression into the shared tree so
// the IAM checks run on it; non-literal leaves become empty scalars.
func hclToNode(e hclsyntax.Expression, depth int) *node {
	r := e.Range()
	n := &node{line: r.Start.Line, col: r.Start.Column}
	if depth > maxDepth {
		return n
	}
	switch x := e.(type) {
	case *hclsyntax.ObjectConsExpr:
		n.kind = kindMap
		for _, it := range x.Items {
			key := hcl.ExprAsKeyword(it.KeyExpr)
			if key == "" {
				if k, ok := tfString(it.KeyExpr); ok {
					key = k
				}
			}
			kr := it.KeyExpr.Range()
			n.keys = append(n.keys, &node{kind: kindScalar, str: key, line: kr.Start.Line, col: kr.Start.Column})
			n.vals = append(n.vals, hclToNode(it.ValueExpr, depth+1))
		}
	case *hclsyntax.TupleConsExpr:
		n.kind = kindSeq
		for _, it := range x.Exprs {
			n.items = append(n.items, hclToNode(it, depth+1))
		}
	default:
		n.kind = kindScalar
		if v, ok := tfString(e); ok {
			n.str, n.tag = v, "!!str"
		} else {
			n.tag = "!unknown"
		}
	}
	return n
}

// tfPolicyDocument checks data "aws_iam_policy_document" statement blocks.
func (s *scanner) tfPolicyDocument(b *hclsyntax.Block) {
	doc := &node{kind: kindMap}
	stmts := &node{kind: kindSeq}
	for _, sb := range b.Body.Blocks {
		if sb.Type != "statement" {
			continue
		}
		st := &node{kind: kindMap, line: sb.TypeRange.Start.Line, col: sb.TypeRange.Start.Column}
		for attr, key := range map[string]string{"effect": "Effect", "actions": "Action", "resources": "Resource"} {
			if a := sb.Body.Attributes[attr]; a != nil {
				st.keys = append(st.keys, &node{kind: kindScalar, str: key})
				st.vals = append(st.vals, hclToNode(a.Expr, 0))
			}
		}
		stmts.items = append(stmts.items, st)
	}
	doc.keys = []*node{{kind: kindScalar, str: "Statement"}}
	doc.vals = []*node{stmts}
	s.iamDocument(doc, "tf")
}

// iamDocument checks an IAM policy document tree (from CloudFormation,
// JSON strings or HCL) for Allow statements with wildcard actions.
func (s *scanner) iamDocument(doc *node, prefix string) {
	stmts := doc.get("Statement")
	list := stmts.list()
	if stmts != nil && stmts.kind == kindMap {
		list = []*node{stmts}
	}
	for _, st := range list {
		if st.kind != kindMap {
			continue
		}
		if eff := st.get("Effect"); eff != nil && eff.tag != "!unknown" && !strings.EqualFold(eff.text(), "Allow") {
			continue
		}
		anyResource := false
		for _, r := range st.get("Resource").list() {
			if r.text() == "*" {
				anyResource = true
			}
		}
		for _, a := range st.get("Action").list() {
			act := strings.TrimSpace(a.text())
			switch {
			case act == "*" || act == "*:*":
				s.emit(prefix+"-iam-wildcard-action", a.line, a.col, "an Allow statement grants Action \"*\"")
			case anyResource && strings.HasSuffix(act, ":*") && !strings.Contains(act[:len(act)-2], "*"):
				s.emit(prefix+"-iam-service-wildcard", a.line, a.col, "an Allow statement grants \""+act+"\" on Resource \"*\"")
			}
		}
	}
}
