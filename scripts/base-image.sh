#!/usr/bin/env bash
# Makes the base image that images/*/Dockerfile start FROM, when it is not on
# the Engine and cannot be pulled: debootstrap from Debian's packages, then
# `docker import` under the same name. A no-op when the image exists.
#
#   scripts/base-image.sh [IMAGE]        (default debian:bookworm-slim)
#
# Environment: TBX_DEBIAN_MIRROR overrides the mirror (default: the host's
# apt source, else http://deb.debian.org/debian).
set -euo pipefail

image=${1:-debian:bookworm-slim}
say() { printf 'base-image: %s\n' "$*" >&2; }

if docker image inspect "$image" >/dev/null 2>&1; then
  say "$image is present; nothing to do"
  exit 0
fi

if timeout 60 docker pull -q "$image" >/dev/null 2>&1; then
  say "$image pulled"
  exit 0
fi
say "$image cannot be pulled; making it with debootstrap"

case "$image" in
  debian:bookworm*) suite=bookworm ;;
  debian:trixie*) suite=trixie ;;
  debian:bullseye*) suite=bullseye ;;
  *) say "don't know which Debian suite makes $image"; exit 2 ;;
esac

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
if ! command -v debootstrap >/dev/null 2>&1; then
  say "installing debootstrap"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq debootstrap >/dev/null
fi

mirror=${TBX_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(sed -n 's/^URIs: *\([^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1 || true)
  [ -n "$mirror" ] || mirror=$(awk '$1=="deb" && $2 ~ /debian\/?$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
fi

work=$(mktemp -d)
trap '$sudo rm -rf "$work"' EXIT
root="$work/rootfs"

# One maker at a time per image: a second caller waits, then finds it present.
exec 9>"${TMPDIR:-/tmp}/tbx-base-image.lock"
flock 9
if docker image inspect "$image" >/dev/null 2>&1; then exit 0; fi

say "debootstrap $suite from $mirror (a few minutes)"
$sudo debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 20 "$work/debootstrap.log" >&2
  say "debootstrap failed; see above"
  exit 1
}

# Slim it as the official -slim images are: no docs, man pages, caches or lists.
$sudo rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*.log
printf 'path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\npath-exclude /usr/share/man/*\npath-exclude /usr/share/info/*\n' |
  $sudo tee "$root/etc/dpkg/dpkg.cfg.d/docker-slim" >/dev/null
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' |
  $sudo tee "$root/etc/apt/apt.conf.d/99-no-recommends" >/dev/null

$sudo tar -C "$root" --numeric-owner -c . |
  docker import --change 'CMD ["bash"]' --change 'LABEL dev.tbx.base=debootstrap' - "$image" >/dev/null
say "$image made ($(docker image inspect -f '{{.Id}}' "$image"))"
