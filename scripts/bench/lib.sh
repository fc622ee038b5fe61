# Shared helpers for warden's benchmark scripts; source it:
#   . "$(dirname "$0")/lib.sh"
# Everything it installs goes to $BENCH_CACHE (default ~/.cache/warden-bench),
# never into the repository.

set -euo pipefail

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_CACHE=${WARDEN_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/warden-bench}
mkdir -p "$BENCH_CACHE/bin"

log() { printf '== %s\n' "$*" >&2; }

# need_time installs GNU time (peak RSS with %M) when it is missing.
need_time() {
  if [ ! -x /usr/bin/time ]; then
    log "installing GNU time"
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq time >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq time >/dev/null; fi
  fi
}

# build_warden builds the working tree's warden into $BENCH_CACHE/bin and
# prints its path.
build_warden() {
  (cd "$BENCH_ROOT" && go build -trimpath -o "$BENCH_CACHE/bin/warden" ./cmd/warden)
  echo "$BENCH_CACHE/bin/warden"
}

# corpus_goroot prints the Go standard library source directory.
corpus_goroot() { echo "$(go env GOROOT)/src"; }

# corpus_node installs the pinned JS/TS corpus (bench/corpus: package.json +
# package-lock.json) with npm ci, once per lockfile version, and prints the
# node_modules directory.
corpus_node() {
  local dir="$BENCH_CACHE/corpus" lock="$BENCH_ROOT/bench/corpus/package-lock.json"
  local want; want=$(sha256sum "$lock" | cut -d' ' -f1)
  if [ "$(cat "$dir/.lock-sha256" 2>/dev/null || true)" != "$want" ] || [ ! -d "$dir/node_modules" ]; then
    log "installing the JS/TS corpus with npm ci into $dir"
    rm -rf "$dir" && mkdir -p "$dir"
    cp "$BENCH_ROOT/bench/corpus/package.json" "$lock" "$dir/"
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
    echo "$want" > "$dir/.lock-sha256"
  fi
  echo "$dir/node_modules"
}

# corpus_combined prints a directory holding both corpora (hard links when
# possible), to show how memory behaves when the corpus doubles.
corpus_combined() {
  local dir="$BENCH_CACHE/combined" go node
  go=$(corpus_goroot); node=$(corpus_node)
  if [ ! -d "$dir/goroot" ] || [ ! -d "$dir/node" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    cp -al "$go" "$dir/goroot" 2>/dev/null || cp -a "$go" "$dir/goroot"
    cp -al "$node" "$dir/node" 2>/dev/null || cp -a "$node" "$dir/node"
  fi
  echo "$dir"
}

# bench_policy writes a policy with no excludes and no size limit, so that
# warden reads exactly what cat reads, and prints its path.
bench_policy() {
  local p="$BENCH_CACHE/bench-policy.yaml"
  cat > "$p" <<'YAML'
version: 1
gates:
  fail_on: critical
  max_file_size: 1GiB
  exclude: []
YAML
  echo "$p"
}

# measure CMD... runs CMD with GNU time and prints "seconds peak_rss_kb".
measure() {
  local out="$BENCH_CACHE/time.out"
  /usr/bin/time -f '%e %M' -o "$out" "$@" >/dev/null 2>"$BENCH_CACHE/stderr.out" || {
    local rc=$?
    # exit 1 is a failed gate, not a failed run
    if [ $rc -ne 1 ]; then cat "$BENCH_CACHE/stderr.out" >&2; return $rc; fi
  }
  tail -1 "$out"
}

# median_of N CMD... runs CMD N times and prints the median "seconds rss".
median_of() {
  local n=$1; shift
  local i
  for i in $(seq "$n"); do measure "$@"; done | sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'
}

# cat_all DIR reads every regular file under DIR into /dev/null.
cat_all() { find "$1" -type f -print0 | xargs -0 cat > /dev/null; }
