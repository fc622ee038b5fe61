#!/usr/bin/env bash
# The dependency gate side by side with osv-scanner (pinned), offline, on
# the same lockfiles and the same OSV data:
#   1. speed: a 2,000-package package-lock.json against a synthetic OSV
#      database of $RECORDS records (default 200,000), warm (each tool run
#      once first), N timed runs each, wall and CPU time;
#   2. agreement: every vulnerability osv-scanner reports on (a) that
#      lockfile and (b) warden's parser fixtures with the test OSV records
#      must be reported by warden (scripts/bench/depscompare).
# Usage: scripts/bench/deps.sh [N]   (default 5)
# Figures and commands go to docs/PERFORMANCE.md and docs/ACCURACY.md.
. "$(dirname "$0")/lib.sh"
N=${1:-5}
RECORDS=${RECORDS:-200000}
OSV_VERSION=v2.3.5
cd "$BENCH_ROOT"

osv="$BENCH_CACHE/bin/osv-scanner"
if [ "$("$osv" --version 2>/dev/null | grep -m1 -o 'version: [0-9.]*')" != "version: ${OSV_VERSION#v}" ]; then
  log "installing osv-scanner $OSV_VERSION"
  GOBIN="$BENCH_CACHE/bin" GOFLAGS= go install "github.com/google/osv-scanner/v2/cmd/osv-scanner@$OSV_VERSION"
fi
warden=$(build_warden)

data="$BENCH_CACHE/deps-$RECORDS"
if [ ! -f "$data/osv-scanner/npm/all.zip" ]; then
  log "generating $RECORDS synthetic OSV records and a 2,000-package lockfile in $data"
  go run ./scripts/bench/depsgen -o "$data" -records "$RECORDS"
fi
export WARDEN_DB_DIR="$data/warden-db"
# osv-scanner v2.3.5 reads <cache>/osv-scanner/<ecosystem>/all.zip under
# os.UserCacheDir; later versions also honour OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY.
osv_env=(env XDG_CACHE_HOME="$data" OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY="$data")

log "warden db import (200k records)"
TIMEFORMAT='%3R s wall, %3U s user'
time "$warden" db import "$data/osv-scanner/npm/all.zip"

# run_n LABEL CMD...: one warm-up run, then N timed runs; prints each.
run_n() {
  local label=$1; shift
  "$@" >/dev/null 2>&1 || true
  for _ in $(seq "$N"); do
    local TIMEFORMAT="$label %3R s wall, %3U s user, %3S s sys"
    { time "$@" >/dev/null 2>&1 || true; } 2>&1
  done
}

echo "== $(date -u +%FT%TZ) $(go version) $(nproc) CPUs, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
log "speed: 2,000-package lockfile, $RECORDS records, warm, $N runs each"
# The whole process as a user runs it (policy, database, parse, match,
# typosquat checks, JSON report, the scan.gate audit event), and without
# the audit event to show its share.
(cd "$data/repo" && run_n "warden" "$warden" scan --engines deps --format json -o "$data/warden.json" .)
(cd "$data/repo" && run_n "warden --no-audit" "$warden" scan --no-audit --engines deps --format json -o "$data/warden-noaudit.json" .)
(cd "$data" && run_n "osv-scanner" "${osv_env[@]}" "$osv" scan source --offline --offline-vulnerabilities -L repo/package-lock.json --format json --output-file "$data/osv.json")

log "agreement on the synthetic lockfile"
go run ./scripts/bench/depscompare -osv "$data/osv.json" -warden "$data/warden.json" -root "$data/repo" | tail -5

log "agreement on warden's parser fixtures and test OSV records"
fx=$(mktemp -d)
trap 'rm -rf "$fx"' EXIT
go run ./scripts/bench/depsgen -zip-records internal/scan/deps/testdata/osv -o "$fx"
cp -r internal/scan/deps/testdata/parse "$fx/repo"
find "$fx/repo" -name want.json -delete
touch "$fx/repo/requirements/requirements-dev.txt" # named by -r in the fixture
# osv-scanner has no extractor for go.sum, package.json or pyproject.toml
# (manifests without versions): those are warden-only and left out here.
args=()
for f in $(cd "$fx/repo" && ls -d */*); do
  case $f in gosum/*|*/package.json|*/pyproject.toml|*/requirements-dev.txt) continue ;; esac
  args+=(-L "repo/$f")
done
(cd "$fx" && env XDG_CACHE_HOME="$fx" OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY="$fx" "$osv" scan source --offline --offline-vulnerabilities "${args[@]}" --format json --output-file "$fx/osv.json" >/dev/null 2>&1 || true)
(cd "$fx/repo" && WARDEN_DB_DIR="$fx/wdb" "$warden" db import ../osv-scanner >/dev/null && WARDEN_DB_DIR="$fx/wdb" "$warden" scan --engines deps --format json -o "$fx/warden.json" . || true)
go run ./scripts/bench/depscompare -osv "$fx/osv.json" -warden "$fx/warden.json" -root "$fx/repo"

echo "== load after the timed runs: $(cut -d' ' -f1-3 /proc/loadavg)"
log "go test -bench (internal/scan/deps)"
go test -run '^$' -bench 'ScanLockfile2000|ParsePackageLock2000|CheckName' -benchmem ./internal/scan/deps/ | grep -E '^Benchmark'

log "fixed costs: package initialisation of the warden binary (GODEBUG=inittrace=1)"
# (the scan exits 1, the gate failing on the vulnerabilities: not an error here)
(cd "$data/repo" && { GODEBUG=inittrace=1 "$warden" scan --no-audit --engines deps --format json -o "$data/warden-noaudit.json" . 2>&1 >/dev/null || true; } |
  awk '/^init /{ms+=$5; n++} END {printf "%d package inits, %.1f ms in all\n", n, ms}')

log "the whole scan command in process (BenchmarkScanDepsCLI; add -cpuprofile cpu.prof to profile it)"
if WARDEN_BENCH_DEPS="$data" go test -run '^$' -bench ScanDepsCLI -benchmem ./internal/cli/ >"$data/clibench.out" 2>&1; then
  grep -E '^Benchmark' "$data/clibench.out"
else
  echo "BenchmarkScanDepsCLI failed:"; tail -20 "$data/clibench.out"
fi
