#!/usr/bin/env bash
# Side-by-side measurements for the configuration engine (docs/PERFORMANCE.md
# and docs/ACCURACY.md, "## Configuration rules").
#
#   scripts/bench/config.sh            # all parts
#   COPIES=50 scripts/bench/config.sh  # fewer workflow copies for the speed run
#
# 1. GitHub Actions: warden vs actionlint (pinned, installed from the Go
#    proxy) on the labelled workflow corpus: which script-injection cases
#    each finds; then speed on COPIES x the corpus workflows.
# 2. Terraform: warden vs tfsec (pinned, Go proxy) on the labelled Terraform
#    corpus, when tfsec builds with this Go toolchain.
# 3. The engine alone over $(go env GOROOT)/src: time and peak memory of
#    `warden scan --engines config` on a large tree with few config files.
set -euo pipefail
cd "$(dirname "$0")/../.."

ACTIONLINT_VERSION=v1.7.7
TFSEC_VERSION=v1.26.0 # the newest version the Go proxy serves
GO_INTERNAL_VERSION=v1.16.0
COPIES=${COPIES:-200}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=$work/bin
mkdir -p "$bin"

echo "== building warden and installing peers"
go build -o "$bin/warden" ./cmd/warden
GOBIN=$bin go install "github.com/rogpeppe/go-internal/cmd/txtar-x@$GO_INTERNAL_VERSION"
GOBIN=$bin go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
have_tfsec=0
if GOBIN=$bin go install "github.com/aquasecurity/tfsec/cmd/tfsec@$TFSEC_VERSION" >"$work/tfsec-install.log" 2>&1; then
  have_tfsec=1
else
  echo "tfsec $TFSEC_VERSION did not build here; skipping the Terraform comparison:"
  tail -3 "$work/tfsec-install.log"
fi

timed() { # timed NAME CMD...: wall seconds and peak RSS, output discarded
  local name=$1
  shift
  /usr/bin/time -f "$name: %e s wall, %U s user, %S s sys, %M KB peak RSS" "$@" >/dev/null 2>"$work/time.err" || true
  tail -1 "$work/time.err"
}

corpus=internal/scan/config/testdata/corpus
echo
echo "== 1. GitHub Actions: script injection, case by case"
printf '%-34s %-8s %-8s %-10s\n' case label warden actionlint
for f in "$corpus"/github-actions/*.txtar; do
  name=$(basename "$f" .txtar)
  d=$work/gha/$name
  mkdir -p "$d"
  "$bin/txtar-x" -C "$d" "$f"
  label=no
  grep -q '^want gha-script-injection' "$f" && label=yes
  w=no
  (cd "$d" && "$bin/warden" scan --engines config --format json . 2>/dev/null || true) | grep -q '"rule_id": "gha-script-injection"' && w=yes
  a=no
  (cd "$d" && "$bin/actionlint" -shellcheck= -pyflakes= -no-color .github/workflows/*.yml 2>/dev/null || true) | grep -q 'potentially untrusted' && a=yes
  printf '%-34s %-8s %-8s %-10s\n' "$name" "$label" "$w" "$a"
done

echo
echo "== 1b. GitHub Actions speed: $COPIES copies of the corpus workflows"
speed=$work/speed
mkdir -p "$speed/.github/workflows"
i=0
for c in $(seq 1 "$COPIES"); do
  for wf in "$work"/gha/*/.github/workflows/*.yml; do
    i=$((i + 1))
    cp "$wf" "$speed/.github/workflows/w$i.yml"
  done
done
echo "$i workflow files, $(cat "$speed"/.github/workflows/*.yml | wc -l) lines"
(cd "$speed" && timed "warden scan --engines config" "$bin/warden" scan --engines config --format json .)
(cd "$speed" && timed "actionlint -shellcheck= -pyflakes=" "$bin/actionlint" -shellcheck= -pyflakes= -no-color .github/workflows/*.yml)

if [ "$have_tfsec" = 1 ]; then
  echo
  echo "== 2. Terraform: case by case (rules each tool reports)"
  for f in "$corpus"/terraform/*.txtar; do
    name=$(basename "$f" .txtar)
    d=$work/tf/$name
    mkdir -p "$d"
    "$bin/txtar-x" -C "$d" "$f"
    labels=$(grep -c '^want ' "$f" || true)
    wn=$( (cd "$d" && "$bin/warden" scan --engines config --format json . 2>/dev/null || true) | grep -cE '"rule_id": "(tf-|config-unparsable)' || true)
    tn=$("$bin/tfsec" --no-color --format json --soft-fail "$d" 2>/dev/null | grep -c '"rule_id"' || true)
    printf '%-30s labelled=%-3s warden=%-3s tfsec=%-3s\n' "$name" "$labels" "$wn" "$tn"
  done
  mkdir -p "$work/tfspeed"
  for c in $(seq 1 "$COPIES"); do
    for tf in "$work"/tf/*/*.tf; do
      n=$(basename "$(dirname "$tf")")
      mkdir -p "$work/tfspeed/m$c-$n"
      cp "$tf" "$work/tfspeed/m$c-$n/"
    done
  done
  echo "$(find "$work/tfspeed" -name '*.tf' | wc -l) .tf files"
  timed "warden scan --engines config" "$bin/warden" scan --engines config --format json "$work/tfspeed"
  timed "tfsec --soft-fail" "$bin/tfsec" --no-color --format json --soft-fail "$work/tfspeed"
fi

echo
echo "== 3. The config engine over GOROOT/src"
src=$(go env GOROOT)/src
echo "$(find "$src" -type f | wc -l) files"
timed "warden scan --engines config GOROOT/src" "$bin/warden" scan --engines config --format json "$src"
timed "warden scan --engines secrets GOROOT/src (for scale)" "$bin/warden" scan --engines secrets --format json "$src"
