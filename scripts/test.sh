#!/usr/bin/env bash
# Runs the whole test suite against the real Docker Engine: vet, unit tests,
# and end-to-end tests that build, pull and run containers. Whatever the suite
# creates on the Engine it removes; a base image this script had to make is
# removed again at the end, so the Engine is left as it was found.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'test: %s\n' "$*" >&2; }
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"

need_pkg() { # command package
  command -v "$1" >/dev/null 2>&1 && return 0
  say "installing $2"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$2" >/dev/null
}
need_pkg docker-registry docker-registry
need_pkg ssh-agent openssh-client
# Packages whose services the tests start on their own: sshd for the
# DOCKER_HOST=ssh:// tests, Podman (with catatonit for init and uidmap for
# rootless) for the Podman tests. The packages' own services are kept from
# starting (policy-rc.d says no).
need_service_pkgs() { # check-path package...
  [ -e "$1" ] && return 0
  shift
  say "installing $*"
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null || true
  $sudo rm -f /usr/sbin/policy-rc.d
}
need_service_pkgs /usr/sbin/sshd openssh-server
need_service_pkgs /usr/bin/podman podman catatonit uidmap
need_service_pkgs /usr/bin/catatonit catatonit
need_service_pkgs /usr/bin/newuidmap uidmap

docker info >/dev/null 2>&1 || { say "no Docker Engine answers; start one (.ci/run does)"; exit 1; }

# BuildKit keeps a build cache apart from images. The suite prunes none of
# it: the Engine may be shared (a CI agent), and a record tells no one which
# build made it, so a prune of "what appeared during the run" would take
# other users' too. The suite's records are small (its contexts are a few
# files) and content-addressed: the next run reuses those of the same steps.
base=debian:bookworm-slim
made_base=""
if ! docker image inspect "$base" >/dev/null 2>&1; then
  scripts/base-image.sh "$base"
  made_base=1
fi
cleanup() {
  if [ -n "$made_base" ]; then
    docker image rm "$base" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

go vet ./...
go test -count=1 -timeout 60m "$@" ./...
# The recipe parser, and the warm helper's protocol, against inputs nobody
# wrote: a bounded run here, longer by hand (go test -run '^$' -fuzz
# FuzzParse -fuzztime 10m ./toolbox/internal/recipe). The budgets here are counts of
# executions, not durations: Go 1.26's fuzz coordinator can fail a target at
# the end of a -fuzztime duration with "context deadline exceeded" and no
# finding (golang/go#75804, fixed in Go 1.27), as a CI run here did.
go test -run '^$' -fuzz FuzzParse -fuzztime "${TBX_FUZZTIME:-200000x}" -fuzzminimizetime 1000x ./toolbox/internal/recipe
go test -run '^$' -fuzz FuzzDecodeRequest -fuzztime "${TBX_FUZZTIME:-300000x}" -fuzzminimizetime 1000x ./toolbox/internal/direct
go test -run '^$' -fuzz FuzzReadFrame -fuzztime "${TBX_FUZZTIME:-300000x}" -fuzzminimizetime 1000x ./toolbox/internal/direct
