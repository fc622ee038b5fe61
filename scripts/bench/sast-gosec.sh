#!/usr/bin/env bash
# Code rules accuracy, side by side: warden's sast engine and gosec on
# warden's labelled Go cases (testdata/rules/go-*.txtar and
# testdata/corpus/go-*.txtar), each case in its own package.
#
#   scripts/bench/sast-gosec.sh           # prints a Markdown report
#
# gosec is installed from the Go module proxy into a cache, pinned.
set -euo pipefail
cd "$(dirname "$0")/../.."

GOSEC_VERSION=v2.30.0
CACHE=${WARDEN_BENCH_CACHE:-$HOME/.cache/warden-bench}
GOSEC="$CACHE/bin/gosec"
mkdir -p "$CACHE/bin"
if [ ! -x "$GOSEC" ] || [ ! -f "$CACHE/bin/.gosec-$GOSEC_VERSION" ]; then
  echo "installing gosec $GOSEC_VERSION into $CACHE/bin" >&2
  GOBIN="$CACHE/bin" go install "github.com/securego/gosec/v2/cmd/gosec@$GOSEC_VERSION"
  touch "$CACHE/bin/.gosec-$GOSEC_VERSION"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go run ./internal/scan/sast/internal/gosecbench -extract "$work/cases"
go build -o "$work/warden" ./cmd/warden

# Both exit non-zero when they find something; that is expected here.
(cd "$work/cases" && "$work/warden" scan . --engines sast --format json --no-progress --output "$work/warden.json") || true
# The cases import modules that are not downloaded (gin, gorm...): gosec
# reports type-check errors for them and still runs its rules.
(cd "$work/cases" && GOFLAGS=-mod=mod GOPROXY=off "$GOSEC" -quiet -fmt json -out "$work/gosec.json" ./... 2>/dev/null) || true

echo "warden $(git rev-parse --short HEAD 2>/dev/null || echo dev) vs gosec $GOSEC_VERSION, $(date -u +%Y-%m-%d)"
echo
go run ./internal/scan/sast/internal/gosecbench -score -root "$work/cases" -warden "$work/warden.json" -gosec "$work/gosec.json"
