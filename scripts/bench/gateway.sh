#!/usr/bin/env bash
# What a model gateway adds to each request's latency, side by side in one
# run: the fake Anthropic upstream measured directly (the baseline: the
# load generator's own cost and one loopback hop), through `warden gateway
# serve` (redaction on, audit log on, the real binary) and through the npm
# @portkey-ai/gateway (pinned, installed into the bench cache), all on
# 127.0.0.1, with the same open-loop generator at a fixed rate.
#
#   scripts/bench/gateway.sh [RATE] [DURATION] [ROUNDS]   (default 2000 10s 3)
#   SCENARIOS="json json-secret stream" SIZE=4096 scripts/bench/gateway.sh
#
# Scenarios: json (JSON answers, no secret in the prompt), json-secret (one
# AWS key in the prompt: warden replaces it by a placeholder, the fake
# upstream echoes the placeholder and warden restores the key in the
# answer), stream (SSE answers; also time to first byte).
#
# Part 1, warden: per scenario, the baseline and warden, RATE req/s,
# ROUNDS rounds of DURATION each (after a 2 s warm-up), interleaved.
# Part 2, the peer: per scenario (json, json-secret, stream), the baseline,
# warden and portkey, one round each at RATE and at PEER_RATE (default
# 200/s, where a node server is not saturated), portkey last and the
# machine left to settle after it: an overloaded node server keeps working
# on requests its clients gave up on, which would otherwise slow whatever
# is measured next. Each run prints p50/p90/p99/p99.9 per target and what
# each gateway adds over the baseline. Run it on an idle machine and record
# `uptime` with the figures (docs/PERFORMANCE.md, ## Gateway).
#
# PROFILE_DIR=DIR: serve warden with --debug-addr and save a CPU profile of
# the real binary during each part-1 scenario (DIR/warden-SCENARIO.pprof,
# DURATION in whole seconds, e.g. 10s; read with `go tool pprof -top
# DIR/warden DIR/warden-json.pprof`, the binary is copied there too).
# PEER=0: part 1 only (no portkey), for quick profiling runs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
rate=${1:-2000}
dur=${2:-10s}
rounds=${3:-3}
scenarios=${SCENARIOS:-json json-secret stream}
size=${SIZE:-4096}
peer_rate=${PEER_RATE:-200}
profile_dir=${PROFILE_DIR:-}
peer=${PEER:-1}
PORTKEY_VERSION=1.15.2

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

log "building warden and the load generator"
(cd "$BENCH_ROOT" && go build -trimpath -o "$work/warden" ./cmd/warden && go build -trimpath -o "$work/gwload" ./scripts/bench/gwload)

pk="$BENCH_CACHE/portkey-$PORTKEY_VERSION"
pkjs="$pk/node_modules/@portkey-ai/gateway/build/start-server.js"
if [ "$peer" != 0 ] && [ ! -f "$pkjs" ]; then
  log "installing @portkey-ai/gateway@$PORTKEY_VERSION (npm) into $pk"
  command -v npm >/dev/null || { echo "gateway.sh: npm is needed (apt-get install nodejs npm)" >&2; exit 1; }
  mkdir -p "$pk"
  npm install --prefix "$pk" --no-audit --no-fund --loglevel=error --save-exact "@portkey-ai/gateway@$PORTKEY_VERSION" >/dev/null
fi

wait_port() { # host:port, name
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "gateway.sh: $2 did not listen on $1" >&2
  exit 1
}

# The fake upstream.
"$work/gwload" upstream -addr 127.0.0.1:0 >"$work/upstream.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do grep -q listening "$work/upstream.out" && break; sleep 0.1; done
up=$(awk '/listening/{print $2}' "$work/upstream.out")
[ -n "$up" ] || { echo "gateway.sh: the fake upstream did not start" >&2; cat "$work/upstream.out" >&2; exit 1; }

# warden gateway: one virtual key, the built-in policy but for the models
# (anthropic/* for internal code), redaction on, audit log in $work.
key=wvk_bench_0000000000000000000001
keyhash=$(printf %s "$key" | sha256sum | cut -d' ' -f1)
mkdir -p "$work/gw"
cat >"$work/gw/gateway.yaml" <<EOF
upstreams:
  - name: fake
    provider: anthropic
    url: http://$up
    api_key_env: BENCH_PROVIDER_KEY
keys:
  - id: bench
    sha256: $keyhash
    team: bench
    classification: internal
EOF
cat >"$work/gw/warden.yaml" <<EOF
version: 1
models:
  allow:
    internal: ["anthropic/*"]
  secrets: redact
EOF
wport=$("$work/gwload" freeport)
debug=()
if [ -n "$profile_dir" ]; then
  mkdir -p "$profile_dir"
  cp "$work/warden" "$profile_dir/warden"
  dport=$("$work/gwload" freeport)
  debug=(--debug-addr "127.0.0.1:$dport")
fi
(cd "$work/gw" && BENCH_PROVIDER_KEY=sk-bench exec "$work/warden" gateway serve --config gateway.yaml --listen "127.0.0.1:$wport" "${debug[@]}" >"$work/warden.log" 2>&1) &
wpid=$! # the subshell execs warden
pids+=($wpid)
wait_port "127.0.0.1:$wport" "warden gateway"

# portkey: the open-source gateway's node server, headless; the provider
# and the upstream's URL travel in its x-portkey-* headers.
if [ "$peer" != 0 ]; then
  pport=$("$work/gwload" freeport)
  (cd "$pk" && NODE_ENV=production exec node "$pkjs" --port="$pport" --headless >"$work/portkey.log" 2>&1) &
  pkpid=$! # the subshell execs node: this is node's pid
  pids+=($pkpid)
  wait_port "127.0.0.1:$pport" "portkey gateway"
fi

# settle waits (at most 60 s) until the portkey process has used under 5%
# of a CPU for a whole second.
# served prints how many requests the gateway has answered, from its
# /metrics (warden_gateway_requests_total, all decisions). The audit log's
# last sequence number, used before, lags: events wait in the audit
# journal until the next seal.
served() {
  curl -s "http://127.0.0.1:$wport/metrics" | awk '/^warden_gateway_requests_total/ { n += $2 } END { printf "%d\n", n }'
}

# events prints how many events the gateway's audit log holds (sealed):
# the last sequence number (it counts across rotated segments).
events() {
  local last
  last=$(tail -n 1 "$work/gw/.warden/audit/audit.jsonl" 2>/dev/null | grep -o '"seq":[0-9]*' | head -n 1)
  echo "${last#\"seq\":}" | sed 's/^$/0/'
}

settle() {
  local hz=$(getconf CLK_TCK) prev now
  prev=$(awk '{print $14+$15}' "/proc/$pkpid/stat")
  for _ in $(seq 1 60); do
    sleep 1
    now=$(awk '{print $14+$15}' "/proc/$pkpid/stat")
    [ $((now - prev)) -lt $((hz / 20 + 1)) ] && return
    prev=$now
  done
  echo "(portkey still busy after 60 s)"
}

scenario_flags() {
  case "$1" in
    json) ;;
    json-secret) echo -secret ;;
    stream) echo -stream ;;
    *) echo "gateway.sh: unknown scenario $1 (json, json-secret, stream)" >&2; exit 2 ;;
  esac
}

if [ "$peer" != 0 ]; then
  echo "warden $(git -C "$BENCH_ROOT" rev-parse --short HEAD), @portkey-ai/gateway $PORTKEY_VERSION (node $(node --version)), $(nproc) CPUs"
else
  echo "warden $(git -C "$BENCH_ROOT" rev-parse --short HEAD), $(nproc) CPUs (PEER=0: no portkey)"
fi
echo "load before: $(uptime)"
echo
echo "# Part 1: warden"
for sc in $scenarios; do
  echo
  echo "## scenario $sc, $rate req/s"
  ev0=$(served)
  cpu0=$(awk '{print $14+$15}' "/proc/$wpid/stat")
  prof=
  if [ -n "$profile_dir" ]; then
    # The profile covers the whole scenario (both targets, warm-ups
    # included; the direct target's turns add no warden samples).
    secs=$(( (${dur%s} + 2) * rounds * 2 + 2 ))
    curl -s -o "$profile_dir/warden-$sc.pprof" "http://127.0.0.1:$dport/debug/pprof/profile?seconds=$secs" &
    prof=$!
  fi
  # shellcheck disable=SC2046
  "$work/gwload" load -rate "$rate" -duration "$dur" -rounds "$rounds" -size "$size" $(scenario_flags "$sc") \
    -target "direct,http://$up,x-api-key=sk-bench" \
    -target "warden,http://127.0.0.1:$wport,x-api-key=$key"
  # CPU time the warden process spent per request it served (user+system,
  # from /proc; requests counted by its /metrics): a figure that machine
  # load inflates far less than latency.
  cpu1=$(awk '{print $14+$15}' "/proc/$wpid/stat")
  ev1=$(served)
  [ -z "$prof" ] || wait "$prof" || true
  awk -v t=$((cpu1 - cpu0)) -v n=$((ev1 - ev0)) -v hz="$(getconf CLK_TCK)" \
    'BEGIN { if (n > 0) printf "warden gateway CPU per request: %.0f us (%d requests)\n", t / hz / n * 1e6, n }'
done

if [ "$peer" = 0 ]; then
  echo
  echo "load after: $(uptime)"
  exit 0
fi
echo
echo "# Part 2: side by side with @portkey-ai/gateway $PORTKEY_VERSION"
for r in $rate $peer_rate; do
  for sc in $scenarios; do
    echo
    echo "## scenario $sc, $r req/s"
    # portkey 1.15.2 answers every streamed request with HTTP 500 on node 20
    # ("TypeError: immutable" in its updateHeaders, Portkey-AI/gateway#1389,
    # #1550): it is left out, with a note, where its answer is wrong.
    # shellcheck disable=SC2046
    "$work/gwload" load -rate "$r" -duration "$dur" -rounds 1 -size "$size" -optional portkey $(scenario_flags "$sc") \
      -target "direct,http://$up,x-api-key=sk-bench" \
      -target "warden,http://127.0.0.1:$wport,x-api-key=$key" \
      -target "portkey,http://127.0.0.1:$pport,x-portkey-provider=anthropic,x-portkey-custom-host=http://$up/v1,x-api-key=sk-bench"
    settle
  done
done
echo
echo "load after: $(uptime)"
echo "warden requests served: $(served), audit events sealed: $(events)"
