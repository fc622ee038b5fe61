package config

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/scan"
)

// BenchmarkCorpus scans every file of the labelled corpus once per
// iteration: the mix a repository's configuration looks like.
func BenchmarkCorpus(b *testing.B) {
	e := New()
	var files []scan.File
	size := 0
	for _, c := range loadCorpus(b) {
		for _, f := range c.files {
			files = append(files, scan.File{Path: f.Name, Content: f.Data})
			size += len(f.Data)
		}
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		for _, f := range files {
			if e.Wants(f.Path) {
				_ = e.Scan(context.Background(), f, func(finding.Finding) {})
			}
		}
	}
	cpu.report(b)
}

// cpuClock measures the process's CPU time (user+system), which unlike wall
// time does not grow when other processes share the machine's cores.
type cpuClock struct{ start time.Duration }

func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{cpuNow()} }

// report adds cpu-ms/op: CPU time per iteration (GC included).
func (c cpuClock) report(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(cpuNow()-c.start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	}
}

// largeFiles builds one ~2,000-line file per format, the size the agent
// guard must check within its budget.
func largeFiles() map[string]string {
	var docker, wf, k8s, tf, mcp, md strings.Builder
	docker.WriteString("FROM node:22-alpine AS build\n")
	for i := 0; docker.Len() < 2000*40; i++ {
		fmt.Fprintf(&docker, "RUN apk add --no-cache pkg%d && \\\n    curl -fsSLo /tmp/f%d https://example.com/f%d && chmod 755 /tmp/f%d\nENV VAR_%d=value%d\n", i, i, i, i, i, i)
	}
	docker.WriteString("USER node\n")
	wf.WriteString("on: pull_request_target\npermissions: read-all\njobs:\n")
	for i := 0; strings.Count(wf.String(), "\n") < 2000; i++ {
		fmt.Fprintf(&wf, "  job%d:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: acme/act%d@v1\n      - run: |\n          echo \"${{ github.event.pull_request.title }}\"\n          make build-%d\n", i, i, i)
	}
	for i := 0; strings.Count(k8s.String(), "\n") < 2000; i++ {
		fmt.Fprintf(&k8s, "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d%d\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          image: app:%d\n          securityContext: {privileged: false, allowPrivilegeEscalation: false}\n          resources: {limits: {cpu: 100m, memory: 64Mi}}\n          env:\n            - {name: API_TOKEN, valueFrom: {secretKeyRef: {name: s, key: k}}}\n", i, i)
	}
	for i := 0; strings.Count(tf.String(), "\n") < 2000; i++ {
		fmt.Fprintf(&tf, "resource \"aws_security_group\" \"sg%d\" {\n  ingress {\n    from_port   = 443\n    to_port     = 443\n    protocol    = \"tcp\"\n    cidr_blocks = [\"0.0.0.0/0\"]\n  }\n}\nresource \"aws_s3_bucket\" \"b%d\" {\n  bucket = \"b-%d\"\n}\n", i, i, i)
	}
	mcp.WriteString("{\"mcpServers\": {\n")
	for i := 0; strings.Count(mcp.String(), "\n") < 2000; i++ {
		fmt.Fprintf(&mcp, "  \"s%d\": {\n    \"command\": \"npx\",\n    \"args\": [\"-y\", \"@acme/server-%d@1.2.%d\"],\n    \"env\": {\"TOKEN\": \"${TOKEN_%d}\"}\n  },\n", i, i, i, i)
	}
	mcp.WriteString("  \"last\": {\"command\": \"node\"}\n}}\n")
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&md, "- Rule %d: prefer small functions, validate input, use parameterized queries; café %d.\n", i, i)
	}
	return map[string]string{
		"Dockerfile":              docker.String(),
		".github/workflows/w.yml": wf.String(),
		"k8s/app.yaml":            k8s.String(),
		"main.tf":                 tf.String(),
		".mcp.json":               mcp.String(),
		"AGENTS.md":               md.String(),
	}
}

// BenchmarkLargeFile measures one 2,000-line file per format: the agent
// guard's per-write cost (budget: 20 ms).
func BenchmarkLargeFile(b *testing.B) {
	e := New()
	files := largeFiles()
	for _, p := range sortedKeys(files) {
		content := []byte(files[p])
		b.Run(p, func(b *testing.B) {
			b.SetBytes(int64(len(content)))
			b.ReportAllocs()
			n := 0
			cpu := startCPU()
			for b.Loop() {
				n = 0
				if err := e.Scan(context.Background(), scan.File{Path: p, Content: content}, func(finding.Finding) { n++ }); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
			b.ReportMetric(float64(n), "findings")
			b.ReportMetric(float64(strings.Count(string(content), "\n")), "lines")
		})
	}
}

// BenchmarkTerraformSplit compares the 2,000-line Terraform file parsed in
// two halves on two cores (what Scan does when a core is free) with the
// whole-file parse. On an idle machine the wall time (ns/op) of "split" is
// what the agent guard waits for; cpu-ms/op is about the same for both.
func BenchmarkTerraformSplit(b *testing.B) {
	src := []byte(largeFiles()["main.tf"])
	for _, split := range []bool{true, false} {
		name := "whole"
		if split {
			name = "split"
		}
		b.Run(name, func(b *testing.B) {
			hclSplitEnabled = split
			defer func() { hclSplitEnabled = true }()
			e := New()
			cpu := startCPU()
			for b.Loop() {
				if err := e.Scan(context.Background(), scan.File{Path: "main.tf", Content: src}, func(finding.Finding) {}); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
		})
	}
}
