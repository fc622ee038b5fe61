#!/usr/bin/env bash
# Time warden's scan pipeline against `cat` of the same files, side by side,
# on the Go standard library source and a pinned node_modules tree (over a
# million lines of JS/TS), and report the ratio and peak RSS.
#
#   scripts/bench/pipeline.sh [ENGINES] [RUNS]
#
# ENGINES is passed to --engines (default "noop": a hidden engine that wants
# every file and reports nothing, so the figure is discovery + reading +
# scheduling alone). Other engines reuse this harness, e.g.
#   scripts/bench/pipeline.sh secrets
#   scripts/bench/pipeline.sh secrets,custom 5
# Each figure is the median of RUNS runs (default 3) after one warm-up run
# of each command, so both read from the page cache.
. "$(dirname "$0")/lib.sh"

ENGINES=${1:-noop}
RUNS=${2:-3}
need_time
WARDEN=$(build_warden)
POLICY=$(bench_policy)

printf '# warden pipeline benchmark: engines=%s runs=%s GOMAXPROCS=%s cores=%s\n' "$ENGINES" "$RUNS" "${GOMAXPROCS:-default}" "$(nproc)"
printf '# %s\n' "$(go version)" "$(uname -srm)"
printf '%-10s %8s %9s %10s %10s %8s %12s %12s\n' corpus files MB cat_s warden_s ratio cat_rss_MB warden_rss_MB
for name in goroot node combined; do
  case $name in
    goroot) dir=$(corpus_goroot) ;;
    node) dir=$(corpus_node) ;;
    combined) dir=$(corpus_combined) ;;
  esac
  files=$(find "$dir" -type f | wc -l)
  mb=$(du -sm --apparent-size "$dir" | cut -f1)
  scan=("$WARDEN" scan "$dir" --engines "$ENGINES" --policy "$POLICY" --no-baseline --no-progress --format json)
  # warm-up, and a check that warden read what cat reads
  cat_all "$dir"
  "${scan[@]}" > "$BENCH_CACHE/last.json" || [ $? -eq 1 ]
  read -r c_s c_rss < <(median_of "$RUNS" bash -c "$(declare -f cat_all); cat_all '$dir'")
  read -r w_s w_rss < <(median_of "$RUNS" "${scan[@]}")
  ratio=$(awk -v w="$w_s" -v c="$c_s" 'BEGIN { if (c > 0) printf "%.2f", w / c; else print "n/a" }')
  printf '%-10s %8s %9s %10s %10s %8s %12.1f %12.1f\n' "$name" "$files" "$mb" "$c_s" "$w_s" "$ratio" \
    "$(awk -v k="$c_rss" 'BEGIN{print k/1024}')" "$(awk -v k="$w_rss" 'BEGIN{print k/1024}')"
  python3 - "$BENCH_CACHE/last.json" <<'PY' >&2
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
print(f"   warden read {s['files']} files, {s['bytes']/1e6:.1f} MB; skipped {s['skipped']}; excluded {s['excluded']}; findings {s['findings']}")
PY
done
