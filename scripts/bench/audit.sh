#!/usr/bin/env bash
# Audit trail and KPI report benchmarks (docs/PERFORMANCE.md, "## Audit").
#
#   scripts/bench/audit.sh            # 1,000,000-event logs
#   EVENTS=100000 scripts/bench/audit.sh
#
# Run it alone on the machine (here: flock /work/.bench.lock scripts/bench/audit.sh):
# append latency with 16 processes on few cores measures the scheduler as much
# as warden.
#
# Measures, on this machine, side by side:
#   - Append latency (p50/p99/p99.9) with 16 concurrent writer processes (each
#     agent hook is one), checkpoints signed every 1,000 events, and with 1
#     writer process; against the same 16 processes writing plain O_APPEND
#     JSON lines (what a hand-written hook does: no chain, no journal, no
#     signature), which is the floor on this machine. Also 16 goroutines with
#     their own Log, and 16 processes paced at 1 event/ms each. For warden's
#     writer processes it also prints which appends sealed (sealing-%), their
#     own latency (seal-p50/p99), the p99 of the others (noseal-p99) and how
#     many appends took more than 1 ms (n>1ms; 1% of 32,000 is 320).
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
echo "== append latency: 16 writer processes, 1 writer process, plain O_APPEND floor (p50/p99/p99.9 in µs)"
go test -run '^$' -bench 'BenchmarkAppend16Processes$|BenchmarkAppendPlain16Processes$|BenchmarkAppend1Process$' -benchtime 32000x -count 3 ./internal/audit
echo "== append: 16 goroutines with their own Log; 16 processes paced at 1 event/ms"
go test -run '^$' -bench 'BenchmarkAppend16Writers$|BenchmarkAppend16ProcessesPaced$' -benchtime 16000x -count 1 ./internal/audit
echo "== verify $EVENTS events"
go test -run '^$' -bench 'BenchmarkVerify' -benchtime 3x -timeout 30m ./internal/audit
echo "== KPI index build and report over $EVENTS events"
go test -run '^$' -bench 'BenchmarkIndexBuild' -benchtime 1x -timeout 60m ./internal/kpi
go test -run '^$' -bench 'BenchmarkReport' -benchtime 3x -timeout 60m ./internal/kpi
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
