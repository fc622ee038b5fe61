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
go test -run "^$" -bench . -benchmem -count 3 ./internal/policy/ | grep -E '^Benchmark'

# cpu_ms command... -> mean CPU milliseconds (user+sys) per run over N runs.
# CPU time, unlike wall time, stays meaningful on a shared, loaded machine.
cpu_ms() {
  local TIMEFORMAT='%3U %3S' t
  t=$( { time (for ((i = 0; i < N; i++)); do "$@" >/dev/null; done) ; } 2>&1 )
  awk -v t="$t" -v n="$N" 'BEGIN { split(t, a, " "); printf "%.3f", (a[1] + a[2]) * 1000 / n }'
}
# wall_ms command... -> mean wall milliseconds per run over N runs.
wall_ms() {
  local start end
  start=$(date +%s%N)
  for ((i = 0; i < N; i++)); do "$@" >/dev/null; done
  end=$(date +%s%N)
  awk -v s="$start" -v e="$end" -v n="$N" 'BEGIN { printf "%.3f", (e - s) / n / 1e6 }'
}

cd "$work/repo"
export WARDEN_ORG_POLICY="$work/org.yaml"
"$work/warden" policy check >/dev/null # warm the page cache
echo "== whole process, mean of $N runs (ms): CPU (user+sys) / wall"
for round in 1 2 3; do
  c_true=$(cpu_ms /bin/true); w_true=$(wall_ms /bin/true)
  c_version=$(cpu_ms "$work/warden" version); w_version=$(wall_ms "$work/warden" version)
  c_check=$(cpu_ms "$work/warden" policy check); w_check=$(wall_ms "$work/warden" policy check)
  printf 'round %d: /bin/true %s / %s   warden version %s / %s   warden policy check %s / %s   (policy load, CPU: %s)\n' \
    "$round" "$c_true" "$w_true" "$c_version" "$w_version" "$c_check" "$w_check" \
    "$(awk -v a="$c_check" -v b="$c_version" 'BEGIN { printf "%.3f", a - b }')"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
