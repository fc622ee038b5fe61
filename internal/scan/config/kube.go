package config

import (
	"bytes"
	"strings"
)

// genericDocument handles a .yaml/.yml/.json file that is not known by its
// name: a Kubernetes manifest or a CloudFormation template, decided by its
// content. Anything else (and anything that does not parse: Helm
// templates, fixtures) is not configuration this engine knows.
func (s *scanner) genericDocument(f format) {
	if !bytes.Contains(s.src, []byte("apiVersion")) && !bytes.Contains(s.src, []byte("AWS::")) && !bytes.Contains(s.src, []byte("AWSTemplateFormatVersion")) {
		return
	}
	var docs []*node
	if f == formatJSON {
		n, err := parseJSON(s.src)
		if err != nil {
			return
		}
		docs = []*node{n}
	} else {
		d, err := parseYAML(s.src)
		if err != nil && len(d) == 0 {
			return
		}
		docs = d
	}
	for _, d := range docs {
		switch {
		case isCloudFormation(d):
			s.cloudFormation(d)
		case d.get("apiVersion") != nil && d.get("kind") != nil:
			s.kubeObject(d, 0)
		}
	}
}

// kubeObject checks one Kubernetes object (or a List of them).
func (s *scanner) kubeObject(obj *node, depth int) {
	if depth > 4 {
		return
	}
	kind := obj.get("kind").text()
	switch kind {
	case "List":
		for _, it := range obj.get("items").list() {
			s.kubeObject(it, depth+1)
		}
		return
	case "Role", "ClusterRole":
		s.kubeRBAC(obj)
		return
	}
	if spec := podSpec(obj); spec != nil {
		s.kubePodSpec(spec)
	}
}

// podSpec finds the pod spec in a workload object.
func podSpec(obj *node) *node {
	switch obj.get("kind").text() {
	case "Pod":
		return obj.get("spec")
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job":
		return obj.path("spec", "template", "spec")
	case "CronJob":
		return obj.path("spec", "jobTemplate", "spec", "template", "spec")
	case "PodTemplate":
		return obj.path("template", "spec")
	}
	return nil
}

var dangerousCaps = map[string]bool{"SYS_ADMIN": true, "NET_ADMIN": true, "SYS_PTRACE": true, "SYS_MODULE": true, "DAC_READ_SEARCH": true, "BPF": true, "ALL": true, "SYS_RAWIO": true}

func isDangerousCap(c string) bool {
	c = strings.ToUpper(strings.TrimSpace(c))
	return dangerousCaps[strings.TrimPrefix(c, "CAP_")]
}

func isRuntimeSocket(p string) bool {
	p = strings.TrimRight(p, "/")
	return strings.HasSuffix(p, "/docker.sock") || strings.HasSuffix(p, "/containerd.sock") || strings.HasSuffix(p, "/crio.sock") || strings.HasSuffix(p, "/podman.sock") ||
		p == "/var/run/docker" || p == "/run/containerd"
}

func (s *scanner) kubePodSpec(spec *node) {
	for _, k := range []struct{ key, rule string }{{"hostNetwork", "k8s-host-network"}, {"hostPID", "k8s-host-pid"}, {"hostIPC", "k8s-host-ipc"}} {
		if v := spec.get(k.key); v.isTrue() {
			s.emit(k.rule, v.line, v.col, k.key+": true")
		}
	}
	for _, vol := range spec.get("volumes").list() {
		hp := vol.get("hostPath")
		if hp == nil {
			continue
		}
		p := hp.get("path")
		if isRuntimeSocket(p.text()) {
			s.emit("k8s-docker-socket", p.line, p.col, "volume mounts the container runtime socket "+p.text())
		} else {
			at := vol.getKey("hostPath")
			s.emit("k8s-host-path", at.line, at.col, "volume "+vol.get("name").text()+" mounts host path "+p.text())
		}
	}
	s.kubeRunAsRoot(spec.get("securityContext"))
	for _, group := range []string{"containers", "initContainers", "ephemeralContainers"} {
		for _, c := range spec.get(group).list() {
			if c.kind != kindMap {
				continue
			}
			s.kubeContainer(c, group == "containers")
		}
	}
}

func (s *scanner) kubeRunAsRoot(sc *node) {
	if v := sc.get("runAsNonRoot"); v.isFalse() {
		s.emit("k8s-run-as-root", v.line, v.col, "runAsNonRoot: false")
	}
	if v := sc.get("runAsUser"); v != nil && strings.TrimSpace(v.text()) == "0" {
		s.emit("k8s-run-as-root", v.line, v.col, "runAsUser: 0 runs as root")
	}
}

func (s *scanner) kubeContainer(c *node, main bool) {
	name := c.get("name").text()
	sc := c.get("securityContext")
	if v := sc.get("privileged"); v.isTrue() {
		s.emit("k8s-privileged", v.line, v.col, "container "+name+" is privileged")
	}
	if v := sc.get("allowPrivilegeEscalation"); v.isTrue() {
		s.emit("k8s-privilege-escalation", v.line, v.col, "container "+name+" sets allowPrivilegeEscalation: true")
	}
	for _, capn := range sc.path("capabilities", "add").list() {
		if isDangerousCap(capn.text()) {
			s.emit("k8s-dangerous-capabilities", capn.line, capn.col, "container "+name+" adds "+capn.text())
		}
	}
	s.kubeRunAsRoot(sc)
	if img := c.get("image"); img != nil && !strings.Contains(img.text(), "{{") && !strings.Contains(img.text(), "$") {
		_, tag, digest := splitImage(img.text())
		if !digest && (tag == "" || tag == "latest") {
			s.emit("k8s-latest-image", img.line, img.col, "image "+img.text()+" is not pinned to a version")
		}
	}
	if main {
		limits := c.path("resources", "limits")
		if limits.get("memory") == nil || limits.get("cpu") == nil {
			at := c
			if k := c.getKey("name"); k != nil {
				at = k
			}
			s.emit("k8s-no-resource-limits", at.line, at.col, "container "+name+" sets no "+missingLimits(limits))
		}
	}
	for _, e := range c.get("env").list() {
		v := e.get("value")
		if v != nil && isSecretName(e.get("name").text()) && isLiteralSecret(v.text()) {
			s.emit("k8s-secret-in-env", v.line, v.col, "env "+e.get("name").text()+" holds a hard-coded value", v.text())
		}
	}
}

func missingLimits(l *node) string {
	switch {
	case l.get("memory") == nil && l.get("cpu") == nil:
		return "CPU or memory limit"
	case l.get("memory") == nil:
		return "memory limit"
	}
	return "CPU limit"
}

func (s *scanner) kubeRBAC(obj *node) {
	for _, r := range obj.get("rules").list() {
		for _, key := range []string{"verbs", "resources", "apiGroups"} {
			if key == "apiGroups" {
				continue // "*" groups with named resources and verbs are common and scoped
			}
			for _, v := range r.get(key).list() {
				if strings.TrimSpace(v.text()) == "*" {
					s.emit("k8s-rbac-wildcard", v.line, v.col, obj.get("kind").text()+" "+obj.path("metadata", "name").text()+" grants "+key+": \"*\"")
				}
			}
		}
	}
}

// compose checks a Docker Compose file.
func (s *scanner) compose() error {
	docs, err := s.yamlDocs()
	if err != nil {
		return err
	}
	for _, root := range docs {
		services := root.get("services")
		if services == nil || services.kind != kindMap {
			continue
		}
		for i, svc := range services.vals {
			name := services.keys[i].str
			if svc.kind != kindMap {
				continue
			}
			if v := svc.get("privileged"); v.isTrue() {
				s.emit("compose-privileged", v.line, v.col, "service "+name+" is privileged")
			}
			for _, key := range []string{"network_mode", "pid", "ipc", "userns_mode", "uts"} {
				if v := svc.get(key); v != nil && strings.EqualFold(strings.TrimSpace(v.text()), "host") {
					s.emit("compose-host-namespace", v.line, v.col, "service "+name+" sets "+key+": host")
				}
			}
			for _, vol := range svc.get("volumes").list() {
				src, at := vol.text(), vol
				if vol.kind == kindMap {
					at = vol.get("source")
					src = at.text()
				} else {
					src, _, _ = strings.Cut(src, ":")
				}
				if isRuntimeSocket(src) {
					s.emit("compose-docker-socket", at.line, at.col, "service "+name+" mounts "+src)
				}
			}
			for _, c := range svc.get("cap_add").list() {
				if isDangerousCap(c.text()) {
					s.emit("compose-dangerous-capabilities", c.line, c.col, "service "+name+" adds "+c.text())
				}
			}
			for _, o := range svc.get("security_opt").list() {
				t := strings.ToLower(strings.ReplaceAll(o.text(), "=", ":"))
				if t == "seccomp:unconfined" || t == "apparmor:unconfined" || t == "label:disable" || t == "systempaths:unconfined" {
					s.emit("compose-security-opt-unconfined", o.line, o.col, "service "+name+" sets security_opt "+o.text())
				}
			}
			env := svc.get("environment")
			switch {
			case env == nil:
			case env.kind == kindMap:
				for j, k := range env.keys {
					v := env.vals[j]
					if isSecretName(k.str) && isLiteralSecret(v.text()) {
						s.emit("compose-secret-in-env", v.line, v.col, "service "+name+" sets "+k.str+" to a hard-coded value", v.text())
					}
				}
			case env.kind == kindSeq:
				for _, it := range env.items {
					k, v, ok := strings.Cut(it.text(), "=")
					if ok && isSecretName(k) && isLiteralSecret(v) {
						s.emit("compose-secret-in-env", it.line, it.col, "service "+name+" sets "+k+" to a hard-coded value", v)
					}
				}
			}
		}
	}
	return nil
}
