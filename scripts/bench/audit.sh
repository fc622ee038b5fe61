#!/usr/bin/env bash
# Audit trail and KPI report benchmarks (docs/PERFORMANCE.md, "## Audit").
#
#   scripts/bench/audit.sh            # 1,000,000-event logs
#   EVENTS=100000 scripts/bench/audit.sh
#
# Measures, on this machine, side by side:
#   - Append latency (p50/p99/p99.9) with 16 concurrent writers, each with its
#     own descriptor and flock as 16 hook processes would have, checkpoints
#     signed every 1,000 events; against a plain O_APPEND JSON-lines writer
#     (what a hand-written hook does: no lock, no chain, no signature).
#   - Verify of a signed log of EVENTS events (checkpoint every 1,000).
#   - KPI index build from scratch, and the report over an up-to-date index
#     (what `warden report` costs once the index has caught up).
# No network. Prints the load average: figures on a shared machine are only
# meaningful side by side.
set -euo pipefail
cd "$(dirname "$0")/../.."
EVENTS=${EVENTS:-1000000}
export WARDEN_BENCH_EVENTS=$EVENTS
echo "== $(date -u +%FT%TZ) $(go version) $(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== append, 16 concurrent writers (warden vs plain O_APPEND)"
go test -run '^$' -bench 'BenchmarkAppend16Processes|BenchmarkAppend16Writers|BenchmarkAppendPlainBaseline16|BenchmarkAppend$' -benchtime 32000x -count 2 ./internal/audit
echo "== verify $EVENTS events"
go test -run '^$' -bench 'BenchmarkVerify' -benchtime 3x -timeout 30m ./internal/audit
echo "== KPI index build and report over $EVENTS events"
go test -run '^$' -bench 'BenchmarkIndexBuild' -benchtime 1x -timeout 60m ./internal/kpi
go test -run '^$' -bench 'BenchmarkReport' -benchtime 3x -timeout 60m ./internal/kpi
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
