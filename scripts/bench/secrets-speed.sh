#!/usr/bin/env bash
# Secrets scan speed, side by side: `warden scan --engines secrets` and
# `gitleaks dir` on the same trees (default: the benchmark harness' corpora,
# `goroot` = $(go env GOROOT)/src and `node` = the pinned node_modules tree
# of bench/corpus, installed by scripts/bench/lib.sh; or directories given
# as arguments), with 1 and 2
# cores (GOMAXPROCS, and --jobs for warden), wall time and peak RSS from
# /usr/bin/time. Both skip files over 1 MiB (warden's default
# gates.max_file_size; gitleaks --max-target-megabytes 1).
#
#   scripts/bench/secrets-speed.sh [goroot|node|DIR...]
. "$(dirname "$0")/lib.sh"
cd "$BENCH_ROOT"

GITLEAKS_VERSION=v8.30.1
CACHE=${WARDEN_BENCH_CACHE:-$HOME/.cache/warden-bench}
GITLEAKS="$CACHE/bin/gitleaks"
# `go install` builds print no version of their own: a stamp file records it.
if [ ! -x "$GITLEAKS" ] || [ ! -f "$CACHE/bin/.gitleaks-$GITLEAKS_VERSION" ]; then
  echo "installing gitleaks $GITLEAKS_VERSION into $CACHE/bin" >&2
  GOBIN="$CACHE/bin" go install "github.com/zricethezav/gitleaks/v8@$GITLEAKS_VERSION"
  touch "$CACHE/bin/.gitleaks-$GITLEAKS_VERSION"
fi
[ -x /usr/bin/time ] || { echo "needs GNU time (/usr/bin/time): apt-get install time" >&2; exit 2; }

args=("$@")
[ ${#args[@]} -gt 0 ] || args=(goroot node)
dirs=()
for a in "${args[@]}"; do
  case $a in
    goroot) dirs+=("$(corpus_goroot)") ;;
    node)
      # gitleaks' default configuration skips every path with a
      # node_modules component; a hard-linked copy with those directories
      # renamed makes it read the same files warden reads.
      nm=$(corpus_node)
      renamed="$BENCH_CACHE/node-renamed"
      if [ ! -d "$renamed" ] || [ "$(cat "$renamed/.src" 2>/dev/null)" != "$(cat "$nm/../.lock-sha256")" ]; then
        rm -rf "$renamed" && cp -al "$nm" "$renamed" 2>/dev/null || cp -a "$nm" "$renamed"
        find "$renamed" -depth -type d -name node_modules -execdir mv {} nm_ \;
        cp "$nm/../.lock-sha256" "$renamed/.src"
      fi
      dirs+=("$renamed") ;;
    *) dirs+=("$a") ;;
  esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/warden" ./cmd/warden

measure_cores() { # label cores dir cmd... -> prints "seconds maxrss_kb"
  local out="$work/time.txt"
  GOMAXPROCS="$2" /usr/bin/time -f "%e %M" -o "$out" "${@:4}" >/dev/null 2>"$work/stderr" || true
  tail -n 1 "$out"
}

echo "warden $(git rev-parse --short HEAD 2>/dev/null || echo dev) vs gitleaks $GITLEAKS_VERSION on $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| tree | size | cores | warden | warden RSS | gitleaks | gitleaks RSS | speed-up | warden findings | gitleaks findings |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for dir in "${dirs[@]}"; do
  size=$(du -sm --apparent-size "$dir" | cut -f1)
  for cores in 1 2; do
    read -r wt wrss < <(measure_cores warden "$cores" "$dir" "$work/warden" scan "$dir" --engines secrets --format json \
      --no-progress --jobs "$cores" --no-baseline --output "$work/warden.json")
    read -r gt grss < <(measure_cores gitleaks "$cores" "$dir" "$GITLEAKS" dir "$dir" --no-banner --log-level error \
      --max-target-megabytes 1 --exit-code 0 --report-format json --report-path "$work/gitleaks.json")
    wf=$(python3 -c 'import json,sys;print(len(json.load(open(sys.argv[1]))["findings"]))' "$work/warden.json" 2>/dev/null || echo "?")
    gf=$(python3 -c 'import json,sys;print(len(json.load(open(sys.argv[1]))))' "$work/gitleaks.json" 2>/dev/null || echo "?")
    ratio=$(awk -v w="$wt" -v g="$gt" 'BEGIN { if (w > 0) printf "%.1fx", g / w; else print "?" }')
    echo "| $dir | ${size} MB | $cores | ${wt} s | $((wrss / 1024)) MB | ${gt} s | $((grss / 1024)) MB | $ratio | $wf | $gf |"
  done
done
