#!/usr/bin/env bash
# Measures what loading the policy costs a warden process: the Go
# benchmarks (BenchmarkLoad and friends) and whole-process wall time of
# `warden policy check` (built-in + organization + repository layers, with
# locks) side by side with `warden version` (the same binary, no policy) and
# /bin/true, run N times each in the same loop so noise hits all of them.
# Usage: scripts/bench/policy.sh [N]   (default 300)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-300}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/warden" ./cmd/warden
mkdir -p "$work/repo"
cat > "$work/org.yaml" <<'YAML'
version: 1
locks: [gates.fail_on, models, agent.commands]
gates:
  fail_on: medium
YAML
cat > "$work/repo/warden.yaml" <<'YAML'
version: 1
project: {name: shop, classification: confidential}
gates:
  fail_on: low
  exclude: ["gen/**"]
agent:
  commands:
    rules:
      - {id: no-prod, command: psql, args: prod, decision: deny, reason: production}
YAML

echo "== go test -bench (internal/policy)"
go test -run '^$' -bench . -benchmem -count 3 ./internal/policy/ | grep -E '^Benchmark'

ms() { # command... -> mean milliseconds per run over N runs
  local start end
  start=$(date +%s%N)
  for ((i = 0; i < N; i++)); do "$@" >/dev/null; done
  end=$(date +%s%N)
  awk -v s="$start" -v e="$end" -v n="$N" 'BEGIN { printf "%.3f", (e - s) / n / 1e6 }'
}

cd "$work/repo"
export WARDEN_ORG_POLICY="$work/org.yaml"
"$work/warden" policy check >/dev/null # warm the page cache
echo "== whole process, mean of $N runs (ms)"
for round in 1 2 3; do
  t_true=$(ms /bin/true)
  t_version=$(ms "$work/warden" version)
  t_check=$(ms "$work/warden" policy check)
  awk -v a="$t_true" -v b="$t_version" -v c="$t_check" -v r="$round" \
    'BEGIN { printf "round %d: /bin/true %s  warden version %s  warden policy check %s  (policy load ~ %.3f)\n", r, a, b, c, c - b }'
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
