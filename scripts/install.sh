#!/usr/bin/env bash
# Installs tbx whole from this checkout: tbx (the front), tbx-core and
# tbx-warm (the helper, static whatever CGO_ENABLED says) side by side in
# DIR, built together, so that the front and the core are of one build.
#
#   scripts/install.sh [DIR]     (default: $XDG_BIN_HOME, else ~/.local/bin)
#
# On macOS and Windows it adds tbx-warm-linux-ARCH, the helper that warm
# containers run inside the Engine's Linux VM.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-${XDG_BIN_HOME:-$HOME/.local/bin}}
say() { printf 'install: %s\n' "$*" >&2; }

command -v go >/dev/null || { say "needs Go (https://go.dev/dl/), then run this again"; exit 2; }
mkdir -p "$dir"
CGO_ENABLED=0 go build -trimpath -o "$dir/" ./cmd/tbx ./cmd/tbx-core ./cmd/tbx-warm
case "$(go env GOOS)" in
  linux) ;;
  *) CGO_ENABLED=0 GOOS=linux go build -trimpath -o "$dir/tbx-warm-linux-$(go env GOARCH)" ./cmd/tbx-warm ;;
esac
say "installed tbx, tbx-core and tbx-warm in $dir"
case ":$PATH:" in
  *":$dir:"*) ;;
  *) say "$dir is not on your PATH: add it (export PATH=\"$dir:\$PATH\") for tbx and the shims" ;;
esac
"$dir/tbx" version
