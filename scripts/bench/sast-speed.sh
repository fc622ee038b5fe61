#!/usr/bin/env bash
# Code rules speed and memory, side by side with gosec.
#
#   scripts/bench/sast-speed.sh goroot    # warden --engines sast vs gosec over $(go env GOROOT)/src
#   scripts/bench/sast-speed.sh node      # warden --engines sast over the pinned node_modules corpus (>1M lines)
#   scripts/bench/sast-speed.sh DIR       # warden over any directory
#
# Prints wall time, user+system CPU time and peak RSS (GNU time) for each
# tool; gosec is installed pinned from the Go module proxy.
. "$(dirname "$0")/lib.sh"

GOSEC_VERSION=v2.30.0
GOSEC="$BENCH_CACHE/bin/gosec"
need_time
warden=$(build_warden)

target=${1:-goroot}
case "$target" in
  goroot) dir=$(corpus_goroot) ;;
  node) dir=$(corpus_node) ;;
  *) dir=$target ;;
esac

lines() {
  find "$1" -type f \( -name '*.go' -o -name '*.py' -o -name '*.js' -o -name '*.jsx' -o -name '*.mjs' -o -name '*.cjs' -o -name '*.ts' -o -name '*.tsx' \) \
    ! -name '*.d.ts' -size -2048k -print0 | xargs -0 cat 2>/dev/null | wc -l
}

measure() { # name, then the command
  local name=$1; shift
  local t="$BENCH_CACHE/time.out"
  /usr/bin/time -o "$t" -f '%e %U %S %M' "$@" >/dev/null 2>"$BENCH_CACHE/stderr.out" || true
  read -r wall user sys rss < "$t"
  printf '| %s | %s s | %.1f s | %d MB |\n' "$name" "$wall" "$(echo "$user + $sys" | bc)" $((rss / 1024))
}

log "target $dir ($(lines "$dir") lines of code), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| tool | wall | CPU (user+sys) | peak RSS |"
echo "|---|---:|---:|---:|"
measure "warden scan --engines sast" "$warden" scan "$dir" --engines sast --format json --no-progress --output "$BENCH_CACHE/sast.json"
if [ "$target" = goroot ]; then
  if [ ! -x "$GOSEC" ] || [ ! -f "$BENCH_CACHE/bin/.gosec-$GOSEC_VERSION" ]; then
    log "installing gosec $GOSEC_VERSION"
    GOBIN="$BENCH_CACHE/bin" go install "github.com/securego/gosec/v2/cmd/gosec@$GOSEC_VERSION"
    touch "$BENCH_CACHE/bin/.gosec-$GOSEC_VERSION"
  fi
  (cd "$dir" && measure "gosec ./... (all rules)" "$GOSEC" -quiet -fmt json -out "$BENCH_CACHE/gosec.json" ./...)
fi
