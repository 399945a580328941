#!/usr/bin/env bash
# Formatting and vet; the layering of toolbox/ is checked by its own test.
set -euo pipefail
cd "$(dirname "$0")/.."
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
  printf 'not gofmt-formatted:\n%s\n' "$unformatted" >&2
  exit 1
fi
go vet ./...
go test -count=1 -run TestPackagesDependDownwards ./toolbox/
