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
# answer), stream (SSE answers; also time to first byte). Each scenario
# measures every target once per round (after a 2 s warm-up), targets
# interleaved, and prints p50/p90/p99/p99.9 per target and what each
# gateway adds over the baseline. Run it on an idle machine; record
# `uptime` with the figures (docs/PERFORMANCE.md, ## Gateway).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
rate=${1:-2000}
dur=${2:-10s}
rounds=${3:-3}
scenarios=${SCENARIOS:-json json-secret stream}
size=${SIZE:-4096}
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
if [ ! -f "$pkjs" ]; then
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
(cd "$work/gw" && BENCH_PROVIDER_KEY=sk-bench exec "$work/warden" gateway serve --config gateway.yaml --listen "127.0.0.1:$wport" >"$work/warden.log" 2>&1) &
pids+=($!)
wait_port "127.0.0.1:$wport" "warden gateway"

# portkey: the open-source gateway's node server, headless; the provider
# and the upstream's URL travel in its x-portkey-* headers.
pport=$("$work/gwload" freeport)
(cd "$pk" && NODE_ENV=production exec node "$pkjs" --port="$pport" --headless >"$work/portkey.log" 2>&1) &
pids+=($!)
wait_port "127.0.0.1:$pport" "portkey gateway"

echo "warden $(git -C "$BENCH_ROOT" rev-parse --short HEAD), @portkey-ai/gateway $PORTKEY_VERSION (node $(node --version)), $(nproc) CPUs"
echo "load before: $(uptime)"
for sc in $scenarios; do
  flags=()
  case "$sc" in
    json) ;;
    json-secret) flags+=(-secret) ;;
    stream) flags+=(-stream) ;;
    *) echo "gateway.sh: unknown scenario $sc (json, json-secret, stream)" >&2; exit 2 ;;
  esac
  echo
  echo "## scenario $sc"
  # portkey 1.15.2 answers every streamed request with HTTP 500 on node 20
  # ("TypeError: immutable" in its updateHeaders, Portkey-AI/gateway#1389,
  # #1550): it is left out, with a note, where its answer is wrong.
  "$work/gwload" load -rate "$rate" -duration "$dur" -rounds "$rounds" -size "$size" -optional portkey "${flags[@]}" \
    -target "direct,http://$up,x-api-key=sk-bench" \
    -target "warden,http://127.0.0.1:$wport,x-api-key=$key" \
    -target "portkey,http://127.0.0.1:$pport,x-portkey-provider=anthropic,x-portkey-custom-host=http://$up/v1,x-api-key=sk-bench"
done
echo
echo "load after: $(uptime)"
echo "warden audit events written: $(wc -l <"$work/gw/.warden/audit/audit.jsonl")"
