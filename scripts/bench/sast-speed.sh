#!/usr/bin/env bash
# Code rules speed and memory, side by side with gosec.
#
#   scripts/bench/sast-speed.sh goroot    # warden --engines sast vs gosec over $(go env GOROOT)/src
#   scripts/bench/sast-speed.sh node      # warden --engines sast over the pinned node_modules corpus (>1M lines)
#   scripts/bench/sast-speed.sh DIR       # warden over any directory (and gosec when it holds Go code)
#
# Both tools run on the same tree, one after the other, in this one
# invocation. For each: wall time, user+system CPU time and peak RSS (GNU
# time), the load average before the run, and the number of findings; for
# Go trees the warden/gosec ratios of wall and CPU time. gosec is installed
# pinned from the Go module proxy, the node corpus pinned with npm ci (see
# lib.sh). The audit log is off (--no-audit): this measures the engine, and
# a whole-GOROOT gate run is larger than one audit event may be.
. "$(dirname "$0")/lib.sh"

GOSEC_VERSION=v2.30.0
GOSEC="$BENCH_CACHE/bin/gosec"
need_time
warden=$(build_warden)

target=${1:-goroot}
case "$target" in
  goroot) dir=$(corpus_goroot) ;;
  node) dir=$(corpus_node) ;;
  *) dir=$(cd "$target" && pwd) ;;
esac

files_and_lines() {
  local list; list=$(mktemp)
  find "$1" -type f \( -name '*.go' -o -name '*.py' -o -name '*.js' -o -name '*.jsx' -o -name '*.mjs' -o -name '*.cjs' -o -name '*.ts' -o -name '*.tsx' \) \
    ! -name '*.d.ts' -size -1024k -print0 > "$list"
  printf '%s files, %s lines' "$(tr -cd '\0' < "$list" | wc -c)" "$(xargs -0 cat < "$list" 2>/dev/null | wc -l)"
  rm -f "$list"
}

# run NAME OKCODES CMD...: times CMD with GNU time; an exit code outside
# OKCODES (e.g. "0 1": 1 is a failed gate, findings found) aborts the script,
# so a crashed run is never reported as a fast one. Sets wall, cpu, rss.
run() {
  local name=$1 ok=$2; shift 2
  local t; t=$(mktemp)
  local rc=0
  /usr/bin/time -o "$t" -f '%e %U %S %M' "$@" >/dev/null 2>"$t.err" || rc=$?
  if ! [[ " $ok " == *" $rc "* ]]; then
    log "$name exited $rc:"; tail -n 20 "$t.err" >&2; exit 1
  fi
  read -r wall user sys rss < <(tail -n 1 "$t")
  cpu=$(printf "%.2f" "$(echo "$user + $sys" | bc)")
  rss=$((rss / 1024))
  rm -f "$t" "$t.err"
}

log "target $dir: $(files_and_lines "$dir")"
log "warden $("$warden" version 2>/dev/null | head -n 1), $(nproc) CPUs"
echo "| tool | load before | wall | CPU (user+sys) | peak RSS | findings |"
echo "|---|---:|---:|---:|---:|---:|"

load=$(cut -d' ' -f1 /proc/loadavg)
run warden "0 1" "$warden" scan "$dir" --engines sast --format json --no-progress --no-audit --output "$BENCH_CACHE/sast.json"
wn=$(grep -o '"rule_id"' "$BENCH_CACHE/sast.json" | wc -l)
printf '| warden scan --engines sast | %s | %s s | %s s | %d MB | %d |\n' "$load" "$wall" "$cpu" "$rss" "$wn"
w_wall=$wall w_cpu=$cpu

if [ -f "$dir/go.mod" ] || [[ "$dir" == "$(go env GOROOT)"* ]]; then
  if [ ! -x "$GOSEC" ] || [ ! -f "$BENCH_CACHE/bin/.gosec-$GOSEC_VERSION" ]; then
    log "installing gosec $GOSEC_VERSION"
    GOBIN="$BENCH_CACHE/bin" go install "github.com/securego/gosec/v2/cmd/gosec@$GOSEC_VERSION"
    touch "$BENCH_CACHE/bin/.gosec-$GOSEC_VERSION"
  fi
  load=$(cut -d' ' -f1 /proc/loadavg)
  # gosec exits 1 when it finds issues.
  (cd "$dir" && run gosec "0 1" "$GOSEC" -quiet -fmt json -out "$BENCH_CACHE/gosec.json" ./... &&
    gn=$(grep -c '"rule_id"' "$BENCH_CACHE/gosec.json" || true) &&
    printf '| gosec %s ./... (all rules) | %s | %s s | %s s | %d MB | %d |\n' "$GOSEC_VERSION" "$load" "$wall" "$cpu" "$rss" "$gn" &&
    echo &&
    printf 'warden is %.1fx faster in wall time and %.1fx in CPU time than gosec on this tree.\n' \
      "$(echo "$wall / $w_wall" | bc -l)" "$(echo "$cpu / $w_cpu" | bc -l)")
fi
