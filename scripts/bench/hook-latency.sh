#!/usr/bin/env bash
# Latency of one `warden hook claude` process, start to exit, on a realistic
# PreToolUse payload with the default (built-in) policy, side by side with a
# typical hand-written jq+grep hook doing far less. Prints p50/p90/p99.
#
#   scripts/bench/hook-latency.sh [RUNS]      (default 1000)
#
# Needs hyperfine (installed from apt if missing) and jq (for the peer hook).
# Figures are recorded in docs/PERFORMANCE.md (## Agent guard).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-1000}

need() {
  command -v "$1" >/dev/null 2>&1 && return
  echo "installing $2 (apt)" >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y "$2" >/dev/null || { apt-get update >/dev/null && apt-get install -y "$2" >/dev/null; }
  else sudo apt-get install -y "$2" >/dev/null; fi
}
need hyperfine hyperfine
need jq jq

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -trimpath -o "$work/warden" ./cmd/warden

# A repository with no warden.yaml: the built-in policy applies.
repo="$work/repo"
mkdir -p "$repo/src"
git -C "$repo" init -q
cat > "$work/payload.json" <<JSON
{"session_id":"9f2c4e1a-5b7d-4c3e-8a9f-1b2c3d4e5f60","transcript_path":"$HOME/.claude/projects/x/9f2c.jsonl","cwd":"$repo","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"cd $repo && git status --short && go test ./... 2>&1 | tail -20","description":"Run the tests"},"tool_use_id":"toolu_01A2B3C4D5E6F7G8H9"}
JSON

# The peer: a hand-written hook of the kind people paste into settings.json.
cat > "$work/peer-hook.sh" <<'SH'
#!/usr/bin/env bash
cmd=$(jq -r '.tool_input.command // empty')
if printf '%s' "$cmd" | grep -Eq 'rm -rf /|curl[^|]*\|[[:space:]]*(ba)?sh|git push (-f|--force)'; then
  echo "blocked" >&2; exit 2
fi
exit 0
SH
chmod +x "$work/peer-hook.sh"

export HOME="$work/home" WARDEN_STATE_DIR="$work/state"
mkdir -p "$HOME"
# Sanity: warden answers {} (allow) and exits 0 on this payload.
out=$("$work/warden" hook claude < "$work/payload.json")
[ "$out" = "{}" ] || { echo "unexpected answer: $out" >&2; exit 1; }

hyperfine --warmup 20 --runs "$runs" -N 2>/dev/null >/dev/null || true
hyperfine --warmup 20 --runs "$runs" --style basic \
  --export-json "$work/result.json" \
  -n "warden hook claude" "$work/warden hook claude < $work/payload.json" \
  -n "hand-written jq hook" "$work/peer-hook.sh < $work/payload.json" >&2

echo
echo "runs=$runs  (ms; hyperfine subtracts the shell's own start-up)"
jq -r '.results[] | [.command, (.times|sort)] | @json' "$work/result.json" | while read -r row; do
  name=$(jq -r '.[0]' <<<"$row")
  jq -r --arg n "$name" '.[1] as $t | ($t|length) as $n |
    def pct(p): $t[((($n-1)*p)|floor)] * 1000;
    "\($n|tostring) runs  p50 \(pct(0.50)|.*100|round/100)  p90 \(pct(0.90)|.*100|round/100)  p99 \(pct(0.99)|.*100|round/100)  max \(($t|last)*1000|.*100|round/100)  \($n)"' <<<"$row" | sed "s|^|$name: |"
done
