#!/usr/bin/env bash
# Measures what the warm path's relay costs: 200 MB through a warm run's
# stdin and stdout (cat, on the direct path), with this tree's tbx against
# tbx at an older revision (default fc336dd, which passed the caller's own
# descriptors to the command), side by side in one hyperfine run. Prints
# Markdown for docs/benchmarks.md.
#   scripts/bench-relay.sh [REV]
# Needs hyperfine (apt-get install hyperfine) and the Debian base image.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:-fc336dd}
runs=${RUNS:-10}
command -v hyperfine >/dev/null || { echo "bench: apt-get install hyperfine" >&2; exit 1; }
scripts/base-image.sh >/dev/null

work=$(mktemp -d)
project="benchrelay$$"
cleanup() {
  docker ps -aq --filter "label=dev.tbx.project=$project" | xargs -r docker rm -f >/dev/null || true
  docker images -q --filter "label=dev.tbx.project=$project" | xargs -r docker rmi -f >/dev/null
  git worktree remove --force "$work/old-src" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

git worktree add -q --detach "$work/old-src" "$rev"
(cd "$work/old-src" && CGO_ENABLED=0 go build -o "$work/old/" ./cmd/...)
CGO_ENABLED=0 go build -o "$work/new/" ./cmd/...
mkdir -p "$work/proj/img"
printf 'FROM debian:bookworm-slim\nRUN ln -s /bin/cat /usr/local/bin/box\n' >"$work/proj/img/Dockerfile"
printf '[toolbox]\nname = "%s"\n[tools.box]\nbuild = "img"\ncommands = ["box"]\nwarm = "15m"\n' "$project" >"$work/proj/toolbox.toml"
head -c 200M /dev/urandom >"$work/in"
cd "$work/proj"
export XDG_STATE_HOME="$work/state" TBX_TRUST="$work"
for v in old new; do
  "$work/$v/tbx" prepare >/dev/null 2>&1
  "$work/$v/tbx" run box </dev/null # the route, and the warm container of each
done
old_cmd="$work/old/tbx run box < $work/in | cat > /dev/null"
new_cmd="$work/new/tbx run box < $work/in | cat > /dev/null"
echo "## 200 MB through a warm run's stdin and stdout, the relay against the caller's own descriptors ($(date -u +%F), $(nproc) cores, Engine $(docker version -f '{{.Server.Version}}'))"
echo
echo '```'
echo "before ($rev): $old_cmd"
echo "now:          $new_cmd"
echo '```'
echo
hyperfine --warmup 2 --runs "$runs" --export-markdown "$work/relay.md" --export-json "$work/relay.json" \
  -n "before ($rev)" "$old_cmd" -n "now (relayed)" "$new_cmd" >&2
cat "$work/relay.md"
echo
python3 - "$work/relay.json" "$runs" <<'PY'
import json, sys
m = [r['median'] for r in json.load(open(sys.argv[1]))['results']]
print("Median ratio now/before **%.3f** (goal ≤ 1.2); %.0f MB/s now. %s runs each, after 2 warm-up runs." % (m[1] / m[0], 200 / m[1], sys.argv[2]))
PY
