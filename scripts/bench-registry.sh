#!/usr/bin/env bash
# Measures a fresh Engine, empty, getting the three example tools of
# toolbox.toml ready: pulled from a team registry on 127.0.0.1 against built
# from images/, side by side in one `go test -bench` run (each on an Engine
# of its own, started empty: see BenchmarkFreshEngineToReady). Prints
# Markdown for docs/benchmarks.md. Needs root (a second dockerd), Debian's
# docker-registry and the Debian base image; takes several minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/base-image.sh >/dev/null
out=$(mktemp)
trap 'rm -f "$out"' EXIT
go test -run '^$' -bench 'BenchmarkFreshEngineToReady' -benchtime 1x -timeout 60m ./toolbox/e2e/commands/ | tee "$out" >&2
echo "## A fresh Engine to three ready tools: team registry against build ($(date -u +%F), $(nproc) cores, Engine $(docker version -f '{{.Server.Version}}'))"
echo
echo '```'
echo "scripts/bench-registry.sh   # go test -run '^\$' -bench BenchmarkFreshEngineToReady -benchtime 1x ./toolbox/e2e/commands/"
grep -E '^BenchmarkFreshEngineToReady' "$out"
echo '```'
echo
awk '/FreshEngineToReady\/pull/ {p=$3} /FreshEngineToReady\/build/ {b=$3} END {printf "pull %.1f s, build %.1f s: the team registry is **%.1f×** faster\n", p/1e9, b/1e9, b/p}' "$out"
