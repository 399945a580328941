#!/usr/bin/env bash
# The quick start: on a machine with Go and a Docker Engine, builds tbx,
# makes every tool of the example recipe (toolbox.toml) ready, and runs each.
set -euo pipefail
cd "$(dirname "$0")/.."

# The images start FROM debian:bookworm-slim; made locally when no registry
# can be reached.
scripts/base-image.sh debian:bookworm-slim

CGO_ENABLED=0 go build -o bin/ ./cmd/...   # tbx (the front), tbx-core, and tbx-warm, the static helper of warm tools
bin/tbx trust    # says what toolbox.toml may reach on this host, then allows it to act
bin/tbx prepare
bin/tbx ls
bin/tbx run az version
bin/tbx run ansible --version
bin/tbx run kubectl version --client
echo "quickstart: every tool works; put $(pwd)/bin on PATH, then: tbx shims install" >&2
