#!/usr/bin/env bash
# audit helper's landing loop (not committed)
set -euo pipefail
cd /work/wt/audit
for i in 1 2 3 4 5; do
  if ! git merge --no-edit main >/dev/null; then echo "CONFLICT: resolve by hand"; git diff --name-only --diff-filter=U; exit 1; fi
  if grep -rln "^<<<<<<< \|^>>>>>>> " . --exclude-dir=.git; then echo "conflict markers"; exit 1; fi
  go mod tidy
  test -z "$(gofmt -l .)" || { gofmt -l .; exit 1; }
  go build ./... && go vet ./...
  go test -race ./internal/audit/ ./internal/kpi/ ./internal/cli/ ./internal/gitx/ | tail -5
  git add -A; git commit -qm "merge main, go mod tidy" || true
  if flock /work/.land.lock git -C /work/main merge --ff-only audit >/dev/null 2>&1; then echo LANDED; git log --oneline -1; exit 0; fi
  echo "main moved, retrying"
done
exit 1
