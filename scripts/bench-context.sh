#!/usr/bin/env bash
# Measures what a tool's build context costs `tbx run`: `tbx run --tool T --
# true` for a tool with a one-file context against one whose context is
# 300 MB in 3,000 files, side by side in one hyperfine run. With BEFORE=REV
# the same two runs of the tbx built from git revision REV join them, to
# compare before and after. Prints Markdown for docs/benchmarks.md.
# Needs hyperfine (apt-get install hyperfine) and the Debian base image.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-30}
files=${FILES:-3000}
kib=${KIB:-100}

command -v hyperfine >/dev/null || { echo "bench: apt-get install hyperfine" >&2; exit 1; }
scripts/base-image.sh >/dev/null

work=$(mktemp -d)
project="benchctx$$"
cleanup() {
  docker ps -aq --filter "label=dev.tbx.project=$project" | xargs -r docker rm -f >/dev/null
  docker images -q --filter "label=dev.tbx.project=$project" | xargs -r docker rmi -f >/dev/null
  [ -z "${BEFORE:-}" ] || git worktree remove --force "$work/before-src" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/tbx-after" ./cmd/tbx-core
if [ -n "${BEFORE:-}" ]; then
  git worktree add -q --detach "$work/before-src" "$BEFORE"
  (cd "$work/before-src" && { go build -o "$work/tbx-before" ./cmd/tbx-core 2>/dev/null || go build -o "$work/tbx-before" ./cmd/tbx; })
fi

proj=$work/proj
mkdir -p "$proj/small" "$proj/large/data"
printf 'FROM debian:bookworm-slim\n' | tee "$proj/small/Dockerfile" >"$proj/large/Dockerfile"
for i in $(seq 1 "$files"); do
  head -c $((kib * 1024)) /dev/urandom >"$proj/large/data/f$i.bin"
done
printf '[toolbox]\nname = "%s"\n[tools.small]\nbuild = "small"\n[tools.large]\nbuild = "large"\n' "$project" >"$proj/toolbox.toml"
cd "$proj"
export XDG_STATE_HOME="$work/state" XDG_CACHE_HOME="$work/cache" TBX_TRUST="$work"
"$work/tbx-after" prepare >/dev/null 2>&1
sleep 3 # past the hash cache's racy window, as a checkout is

size=$(du -sm large | cut -f1)
echo "## tbx run and the size of the build context ($(date -u +%F), $(nproc) cores, Engine $(docker version -f '{{.Server.Version}}'))"
echo
echo "Context of tool \`large\`: ${size} MB in $(find large -type f | wc -l) files; tool \`small\`: its Dockerfile alone."
echo
echo '```'
cmds=()
for v in ${BEFORE:+before} after; do
  for t in small large; do
    echo "$v $t: $work/tbx-$v run --tool $t -- true"
    cmds+=(-n "$v, $t context" "$work/tbx-$v run --tool $t -- true")
  done
done
echo '```'
echo
hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/run.md" --export-json "$work/run.json" "${cmds[@]}" </dev/null >&2
cat "$work/run.md"
echo
python3 - "$work/run.json" <<'PY'
import json, sys
r = {x['command']: x['median'] for x in json.load(open(sys.argv[1]))['results']}
for v in ('before', 'after'):
    if f'{v}, small context' in r:
        print(f"- {v}: median large/small = **{r[f'{v}, large context'] / r[f'{v}, small context']:.3f}** "
              f"({r[f'{v}, large context']*1000:.1f} ms / {r[f'{v}, small context']*1000:.1f} ms)")
PY
echo
echo "($runs runs each after 3 warm-up runs, alternating in one hyperfine invocation.)"
