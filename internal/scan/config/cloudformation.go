package config

import (
	"strconv"
	"strings"
)

// isCloudFormation recognises a template by its version key or by AWS::
// resource types.
func isCloudFormation(root *node) bool {
	if root == nil || root.kind != kindMap {
		return false
	}
	if root.get("AWSTemplateFormatVersion") != nil {
		return true
	}
	res := root.get("Resources")
	if res == nil || res.kind != kindMap {
		return false
	}
	for _, r := range res.vals {
		if strings.HasPrefix(r.get("Type").text(), "AWS::") {
			return true
		}
	}
	return false
}

// cfnLiteral reports whether a property value is a plain literal, not an
// intrinsic function (!Ref, !Sub, {"Ref": ...}, {"Fn::...": ...}).
func cfnLiteral(n *node) bool {
	if n == nil || n.kind != kindScalar {
		return false
	}
	return n.tag == "" || strings.HasPrefix(n.tag, "!!")
}

func (s *scanner) cloudFormation(root *node) {
	res := root.get("Resources")
	if res == nil || res.kind != kindMap {
		return
	}
	for i, r := range res.vals {
		name := res.keys[i].str
		typ := r.get("Type").text()
		props := r.get("Properties")
		typeNode := r.get("Type")
		switch typ {
		case "AWS::S3::Bucket":
			if v := props.get("AccessControl"); cfnLiteral(v) {
				switch v.str {
				case "PublicRead", "PublicReadWrite", "AuthenticatedRead":
					s.emit("cfn-public-bucket-acl", v.line, v.col, name+" sets AccessControl: "+v.str)
				}
			}
		case "AWS::EC2::SecurityGroup":
			for _, in := range props.get("SecurityGroupIngress").list() {
				s.cfnIngress(name, in)
			}
		case "AWS::EC2::SecurityGroupIngress":
			s.cfnIngress(name, props)
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy":
			s.iamDocument(props.get("PolicyDocument"), "cfn")
		case "AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group":
			for _, p := range props.get("Policies").list() {
				s.iamDocument(p.get("PolicyDocument"), "cfn")
			}
		case "AWS::EC2::Volume":
			if v := props.get("Encrypted"); v == nil {
				s.emit("cfn-unencrypted-ebs", typeNode.line, typeNode.col, name+" does not set Encrypted")
			} else if v.isFalse() {
				s.emit("cfn-unencrypted-ebs", v.line, v.col, name+" sets Encrypted: false")
			}
		case "AWS::RDS::DBInstance", "AWS::RDS::DBCluster":
			inherits := props.get("SourceDBInstanceIdentifier") != nil || props.get("DBClusterIdentifier") != nil && typ == "AWS::RDS::DBInstance" ||
				props.get("SnapshotIdentifier") != nil || props.get("DBSnapshotIdentifier") != nil
			if v := props.get("StorageEncrypted"); v == nil && !inherits {
				s.emit("cfn-unencrypted-rds", typeNode.line, typeNode.col, name+" does not set StorageEncrypted")
			} else if v.isFalse() {
				s.emit("cfn-unencrypted-rds", v.line, v.col, name+" sets StorageEncrypted: false")
			}
			if v := props.get("PubliclyAccessible"); v.isTrue() {
				s.emit("cfn-rds-public", v.line, v.col, name+" sets PubliclyAccessible: true")
			}
		}
		s.cfnSecrets(name, props, 0)
	}
	params := root.get("Parameters")
	if params != nil && params.kind == kindMap {
		for i, p := range params.vals {
			pname := params.keys[i].str
			d := p.get("Default")
			if isSecretName(pname) && cfnLiteral(d) && isLiteralSecret(d.str) {
				s.emit("cfn-hardcoded-secret", d.line, d.col, "parameter "+pname+" has a hard-coded default", d.str)
			}
		}
	}
}

// cfnSecrets reports credential-named properties holding literals.
func (s *scanner) cfnSecrets(res string, props *node, depth int) {
	if props == nil || props.kind != kindMap || depth > 3 {
		return
	}
	for i, k := range props.keys {
		v := props.vals[i]
		if v.kind == kindMap {
			s.cfnSecrets(res, v, depth+1)
			continue
		}
		if isSecretName(k.str) && cfnLiteral(v) && v.tag != "!!bool" && isLiteralSecret(v.str) && !strings.Contains(v.str, "{{resolve:") {
			s.emit("cfn-hardcoded-secret", v.line, v.col, res+" sets "+k.str+" to a literal value", v.str)
		}
	}
}

func (s *scanner) cfnIngress(name string, in *node) {
	var at *node
	for _, k := range []string{"CidrIp", "CidrIpv6"} {
		if v := in.get(k); cfnLiteral(v) && isOpenCIDR(v.str) {
			at = v
		}
	}
	if at == nil {
		return
	}
	proto := strings.TrimSpace(in.get("IpProtocol").text())
	if proto == "-1" || strings.EqualFold(proto, "all") {
		s.emit("cfn-open-admin-port", at.line, at.col, name+" allows all traffic from the internet")
		return
	}
	from, err1 := strconv.Atoi(strings.TrimSpace(in.get("FromPort").text()))
	to, err2 := strconv.Atoi(strings.TrimSpace(in.get("ToPort").text()))
	if err1 != nil || err2 != nil {
		return
	}
	if p, ok := adminPortIn(from, to); ok {
		s.emit("cfn-open-admin-port", at.line, at.col, name+" opens port "+strconv.Itoa(p)+" to the internet")
	}
}
