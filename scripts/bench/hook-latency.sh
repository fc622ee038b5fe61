#!/usr/bin/env bash
# Latency of one agent hook invocation as a whole process (start to exit),
# on a realistic Claude Code PreToolUse payload with the default (built-in)
# policy, including the audit-log append. Side by side, interleaved run by
# run so that they share the machine's noise:
#
#   c      warden-hook-c claude    the C thin client (scripts/install-hook-client),
#                                  warm guard server
#   thin   warden-hook claude      the Go thin client, warm guard server
#   full   warden hook claude      the whole binary deciding in-process
#   jq     a hand-written jq+grep hook of the kind people paste into settings
#   hello  a Go hello-world: the floor for any Go process on this machine
#   chello a static C hello-world: the floor for any process here
#
#   scripts/bench/hook-latency.sh [RUNS]      (default 1000)
#
# Prints p50/p90/p99/max per command (scripts/bench/hooklat measures: fork,
# exec, wait, nothing else) and the load average. Needs jq (from apt if
# missing) for the peer hook and a C compiler (go env CC) for the C rows.
# Figures go to docs/PERFORMANCE.md
# (## Agent guard).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-1000}

if ! command -v jq >/dev/null 2>&1; then
  echo "installing jq (apt)" >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y jq >/dev/null || { apt-get update >/dev/null && apt-get install -y jq >/dev/null; }
  else sudo apt-get install -y jq >/dev/null; fi
fi

work=$(mktemp -d /tmp/warden-hookbench.XXXXXX)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Installed side by side, as `go install ./cmd/...` does.
go build -trimpath -o "$work/bin/warden" ./cmd/warden
go build -trimpath -o "$work/bin/warden-hook" ./cmd/warden-hook
go build -trimpath -o "$work/hooklat" ./scripts/bench/hooklat
mkdir -p "$work/hello"
cat > "$work/hello/main.go" <<'GO'
package main

import "os"

func main() { os.Stdout.WriteString("{}\n") }
GO
(cd "$work/hello" && printf 'module hello\n\ngo 1.24\n' > go.mod && go build -trimpath -o "$work/bin/hello" .)
scripts/install-hook-client "$work/bin" >&2
cc=$(go env CC)
printf '#include <unistd.h>\nint main(void) { return write(1, "{}\\n", 3) != 3; }\n' > "$work/hello/chello.c"
$cc -O2 -static -o "$work/bin/chello" "$work/hello/chello.c" 2>/dev/null || $cc -O2 -o "$work/bin/chello" "$work/hello/chello.c"

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

export HOME="$work/home" WARDEN_STATE_DIR="$work/state" XDG_RUNTIME_DIR="$work/run"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
cd "$repo"

# The guard server, started the way warden-hook starts it, in the
# background; its pid is ours to stop.
"$work/bin/warden-hook" claude < "$work/payload.json" >/dev/null # no server yet: falls back, starts one
for _ in $(seq 100); do
  if out=$(WARDEN_HOOK_SERVER=require "$work/bin/warden-hook" claude < "$work/payload.json" 2>/dev/null) && [ "$out" = "{}" ]; then break; fi
  sleep 0.1
done
server_pid=$(sed -n 's/.*msg=serving .* pid=\([0-9]*\).*/\1/p' "$XDG_RUNTIME_DIR"/warden/*.log | tail -1)
[ -n "$server_pid" ] || { echo "the guard server did not start" >&2; exit 1; }

# Sanity: every path allows this payload with {} and exit 0; the thin
# client must be answered by the server (require), not by a fallback.
for c in "$work/bin/warden hook claude" "$work/bin/warden-hook claude" "$work/bin/warden-hook-c claude"; do
  out=$(WARDEN_HOOK_SERVER=require $c < "$work/payload.json")
  [ "$out" = "{}" ] || { echo "unexpected answer from $c: $out" >&2; exit 1; }
done
export WARDEN_HOOK_SERVER=require

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$work/hooklat" -n "$runs" -warmup 20 -stdin "$work/payload.json" -- \
  c "$work/bin/warden-hook-c" claude \; \
  thin "$work/bin/warden-hook" claude \; \
  full "$work/bin/warden" hook claude \; \
  jq "$work/peer-hook.sh" \; \
  hello "$work/bin/hello" \; \
  chello "$work/bin/chello"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
ls -l "$work/bin" | awk 'NR>1 {printf "binary %-12s %6.1f MB\n", $NF, $5/1048576}'
