#!/usr/bin/env bash
# Formatting, vet (for each of the six platforms tbx ships for) and
# staticcheck; the layering of toolbox/ is checked by its own test. staticcheck is installed from the Go module proxy when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
  printf 'not gofmt-formatted:\n%s\n' "$unformatted" >&2
  exit 1
fi
go vet ./...
# Workstations run tbx on macOS and Windows too: every platform builds and vets.
for platform in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64; do
  CGO_ENABLED=0 GOOS=${platform%/*} GOARCH=${platform#*/} go vet ./... || { printf 'lint: vet fails for %s\n' "$platform" >&2; exit 1; }
done
staticcheck=$(go env GOPATH)/bin/staticcheck
if ! command -v staticcheck >/dev/null 2>&1 && [ ! -x "$staticcheck" ]; then
  printf 'lint: installing staticcheck\n' >&2
  go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi
command -v staticcheck >/dev/null 2>&1 && staticcheck=staticcheck
"$staticcheck" ./...
go test -count=1 -run "TestPackagesDependDownwards|TestTheFrontLinksNoHeavyLibrary|TestOnlyTheEntryPointsReadTheEnvironment" ./toolbox/
