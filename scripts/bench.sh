#!/usr/bin/env bash
# Measures tbx against plain docker on this machine and prints Markdown for
# docs/benchmarks.md:
#   1. `tbx run` of `true`, throwaway and warm, against `docker run --rm`
#      with the same flags and `docker exec` into a live container, side by
#      side in one hyperfine run;
#   2. a warm `tbx run` from tbx's front (the direct path: the helper's
#      socket, no Engine call) against `docker exec` into the same warm
#      container and a local /bin/true, and a loop of 100 shim calls, side
#      by side in one hyperfine run;
#   3. a run that finds its spare against `docker run --rm` of the same
#      image and mounts, and a burst of 20 calls against 20 throwaway runs,
#      side by side in one hyperfine run;
#   4. `tbx ls` on a recipe of 50 ready tools (go test -bench).
# Needs hyperfine (apt-get install hyperfine) and the Debian base image.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${RUNS:-30}

command -v hyperfine >/dev/null || { echo "bench: apt-get install hyperfine" >&2; exit 1; }
scripts/base-image.sh >/dev/null

work=$(mktemp -d)
project="bench$$"
cleanup() {
  docker ps -aq --filter "label=dev.tbx.project=$project" | xargs -r docker rm -f >/dev/null || true
  docker images -q --filter "label=dev.tbx.project=$project" | xargs -r docker rmi -f >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

CGO_ENABLED=0 go build -o "$work/" ./cmd/...
mkdir -p "$work/proj/img"
printf '[toolbox]\nname = "%s"\n[tools.box]\nbuild = "img"\ncommands = ["box"]\nwarm = "15m"\n[tools.spare]\nbuild = "img"\ncommands = ["sparebox"]\nspare = "15m"\n' "$project" >"$work/proj/toolbox.toml"
printf 'FROM debian:bookworm-slim\nRUN ln -s /bin/true /usr/local/bin/box && ln -s /bin/true /usr/local/bin/sparebox\n' >"$work/proj/img/Dockerfile"
cd "$work/proj"
export XDG_STATE_HOME="$work/state" TBX_TRUST="$work"
"$work/tbx" prepare >/dev/null 2>&1
ref=$("$work/tbx" ls --json | sed -n 's/.*"image": "\(.*\)".*/\1/p' | head -1)
"$work/tbx" run --tool box -- true # makes the state directory and passwd files

uid=$(id -u); gid=$(id -g)
home=$(echo "$XDG_STATE_HOME"/tbx/home/"$project"-*/box)
if [ "$uid" = 0 ]; then
  user_flags="-v $home:/root -e HOME=/root -e USER=root -e LOGNAME=root"
else
  name=$(ls "$XDG_STATE_HOME/tbx/etc")
  etc=$XDG_STATE_HOME/tbx/etc/$name
  user_flags="-v $home:/home/${name##*-} -v $etc/passwd:/etc/passwd:ro -v $etc/group:/etc/group:ro -e HOME=/home/${name##*-}"
fi
tbx_cmd="env TBX_WARM=off $work/tbx run --tool box -- true"
warm_cmd="env TBX_WARM=15m $work/tbx run --tool box -- true"
flags="-i --init --user $uid:$gid -v $work/proj:$work/proj -w $work/proj $user_flags --label dev.tbx.project=$project"
docker_cmd="docker run --rm $flags $ref true"
live=$(docker run -d $flags --entrypoint sleep $ref infinity)
exec_cmd="docker exec -i --user $uid:$gid -w $work/proj $live true"

echo "## tbx run, throwaway and warm, vs docker run --rm and docker exec ($(date -u +%F), $(nproc) cores, Engine $(docker version -f '{{.Server.Version}}'))"
echo
echo '```'
echo "tbx:         $tbx_cmd"
echo "tbx warm:    $warm_cmd"
echo "docker run:  $docker_cmd"
echo "docker exec: $exec_cmd   # into: docker run -d $flags --entrypoint sleep $ref infinity"
echo '```'
echo
hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/run.md" --export-json "$work/run.json" \
  -n "tbx run" "$tbx_cmd" -n "tbx run, warm" "$warm_cmd" -n "docker run --rm" "$docker_cmd" -n "docker exec" "$exec_cmd" </dev/null >&2
cat "$work/run.md"
echo
python3 - "$work/run.json" "$runs" <<'PY'
import json, sys
m = {r['command']: r['median'] for r in json.load(open(sys.argv[1]))['results']}
print("Median ratios: tbx/docker run **%.3f**; warm tbx/docker run **%.3f** (goal ≤ 0.25); warm tbx/docker exec **%.3f** (goal ≤ 1.3). %s runs each, after 3 warm-up runs." % (
    m['tbx run'] / m['docker run --rm'], m['tbx run, warm'] / m['docker run --rm'], m['tbx run, warm'] / m['docker exec'], sys.argv[2]))
PY
echo

# 2. The direct path. The first call goes the whole way and remembers its
# route; every later one starts from the front.
"$work/tbx" run box
"$work/tbx" shims install --dir "$work/shims" >/dev/null
warm=$(docker ps -q --filter "label=dev.tbx.project=$project" --filter label=dev.tbx.warm)
direct_cmd="$work/tbx run box"
wexec_cmd="docker exec -i --user $uid:$gid -w $work/proj $warm true"
loop_cmd="sh -c 'for i in \$(seq 100); do box; done'"
echo "## Warm tbx run through the helper's socket vs docker exec and a local binary ($(date -u +%F), $(nproc) cores, Engine $(docker version -f '{{.Server.Version}}'))"
echo
echo '```'
echo "tbx run, direct:   $direct_cmd   # warm = \"15m\" in the recipe; box is /bin/true in the image"
echo "docker exec:       $wexec_cmd   # the same warm container"
echo "local:             /bin/true"
echo "100 shim calls:    PATH=$work/shims:\$PATH $loop_cmd"
echo '```'
echo
PATH="$work/shims:$PATH" hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/direct.md" --export-json "$work/direct.json" \
  -n "tbx run, direct" "$direct_cmd" -n "docker exec" "$wexec_cmd" -n "local /bin/true" "/bin/true" -n "100 shim calls" "$loop_cmd" </dev/null >&2
cat "$work/direct.md"
echo
python3 - "$work/direct.json" "$runs" <<'PY'
import json, sys
m = {r['command']: r['median'] for r in json.load(open(sys.argv[1]))['results']}
print("Median ratios: warm tbx run (direct)/docker exec **%.3f** (goal ≤ 0.25); 100 shim calls **%.2f s** (goal ≤ 3 s), %.1f ms a call. %s runs each, after 3 warm-up runs." % (
    m['tbx run, direct'] / m['docker exec'], m['100 shim calls'], m['100 shim calls'] * 10, sys.argv[2]))
PY
echo

# 3. Spares. Before each timed run, hyperfine waits for the spare that the
# last run had made in the background (that run's cost is not the caller's).
"$work/tbx" run sparebox
spare_ready="sh -c 'while pgrep -f \"$work/tbx-core [_]_spare\" >/dev/null; do sleep 0.01; done'"
spare_cmd="$work/tbx run sparebox"
burst_cmd="sh -c 'for i in \$(seq 20); do $work/tbx run sparebox; done'"
throwaway_burst_cmd="sh -c 'for i in \$(seq 20); do TBX_SPARE=0 $work/tbx run sparebox; done'"
echo "## A run that finds its spare vs docker run --rm ($(date -u +%F), $(nproc) cores, Engine $(docker version -f '{{.Server.Version}}'))"
echo
echo '```'
echo "tbx run, spare:       $spare_cmd   # spare = \"15m\" in the recipe; sparebox is /bin/true"
echo "docker run --rm:      $docker_cmd"
echo "20 calls, spares:     $burst_cmd"
echo "20 calls, throwaway:  $throwaway_burst_cmd"
echo "before each run:      $spare_ready   # the spare the last run had made is ready"
echo '```'
echo
hyperfine -N --warmup 3 --runs "$runs" --prepare "$spare_ready" --export-markdown "$work/spare.md" --export-json "$work/spare.json" \
  -n "tbx run, spare" "$spare_cmd" -n "docker run --rm" "$docker_cmd" </dev/null >&2
hyperfine -N --warmup 1 --runs "${BURSTS:-5}" --prepare "$spare_ready" --export-markdown "$work/burst.md" --export-json "$work/burst.json" \
  -n "20 calls, spares" "$burst_cmd" -n "20 calls, throwaway" "$throwaway_burst_cmd" </dev/null >&2
cat "$work/spare.md"
echo
cat "$work/burst.md"
echo
python3 - "$work/spare.json" "$work/burst.json" "$runs" <<'PY'
import json, sys
m = {r['command']: r['median'] for f in sys.argv[1:3] for r in json.load(open(f))['results']}
print("Median ratios: a run in its spare/docker run --rm **%.3f** (goal ≤ 0.15); 20 calls with spares/20 throwaway **%.3f** (goal ≤ 1.00). %s runs each (bursts: 5), after warm-up runs." % (
    m['tbx run, spare'] / m['docker run --rm'], m['20 calls, spares'] / m['20 calls, throwaway'], sys.argv[3]))
PY
echo
spare=$(docker ps -q --filter "label=dev.tbx.project=$project" --filter label=dev.tbx.spare | head -1)
if [ -n "$spare" ]; then
  echo "An idle spare: $(docker stats --no-stream --format '{{.MemUsage}} memory, {{.PIDs}} processes' "$spare")."
  echo
fi

cd "$root"
echo "## tbx ls on 50 ready tools"
echo
echo '```'
go test -run '^$' -bench BenchmarkLs50ReadyTools -benchtime 30x ./toolbox/e2e/commands/ | grep -E '^Benchmark'
echo '```'
