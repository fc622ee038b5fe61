#!/usr/bin/env bash
# Secrets accuracy, side by side: warden and gitleaks on warden's labelled
# corpus (578 fake secrets in ten kinds of file, hard negatives). The corpus
# is regenerated from its fixed seed; scores are per detector family.
#
#   scripts/bench/secrets-accuracy.sh            # prints a Markdown table
#
# gitleaks is installed from the Go module proxy into a cache, pinned.
set -euo pipefail
cd "$(dirname "$0")/../.."

GITLEAKS_VERSION=v8.30.1
CACHE=${WARDEN_BENCH_CACHE:-$HOME/.cache/warden-bench}
GITLEAKS="$CACHE/bin/gitleaks"
# `go install` builds print no version of their own: a stamp file records it.
if [ ! -x "$GITLEAKS" ] || [ ! -f "$CACHE/bin/.gitleaks-$GITLEAKS_VERSION" ]; then
  echo "installing gitleaks $GITLEAKS_VERSION into $CACHE/bin" >&2
  GOBIN="$CACHE/bin" go install "github.com/zricethezav/gitleaks/v8@$GITLEAKS_VERSION"
  touch "$CACHE/bin/.gitleaks-$GITLEAKS_VERSION"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go run ./internal/scan/secrets/corpus/gen -out "$work/corpus" >&2
go build -o "$work/warden" ./cmd/warden

# Both exit non-zero when they find something; that is expected here.
(cd "$work/corpus" && "$work/warden" scan . --engines secrets --format json --no-progress --output "$work/warden.json") || true
"$GITLEAKS" dir "$work/corpus" --report-format json --report-path "$work/gitleaks.json" \
  --no-banner --exit-code 0 --log-level error

echo "warden $(git rev-parse --short HEAD 2>/dev/null || echo dev) vs gitleaks $GITLEAKS_VERSION, $(date -u +%Y-%m-%d)"
go run ./internal/scan/secrets/corpus/gen -score -warden "$work/warden.json" -gitleaks "$work/gitleaks.json" -root "$work/corpus"
