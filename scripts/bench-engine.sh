#!/usr/bin/env bash
# Measures what a tbx command costs on an Engine that holds many images, and
# prints Markdown for docs/benchmarks.md. In one run:
#   1. `tbx ls` and a no-op `tbx prepare` on the Engine as it is;
#   2. IMAGES (1000) unrelated tiny images are imported, labelled, and then,
#      side by side in one hyperfine run: `tbx run` against `docker run --rm`
#      with the same mounts and init, a warm `tbx run` against `docker exec`
#      into the same warm container, a shim, `tbx --version`, `tbx ls` and a
#      no-op `tbx prepare`;
#   3. the ratios the exact-and-fast issue sets as targets.
# The imported images and the project's objects are removed at the end.
# Needs hyperfine (apt-get install hyperfine) and the Debian base image.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-30}
images=${IMAGES:-1000}

command -v hyperfine >/dev/null || { echo "bench: apt-get install hyperfine" >&2; exit 1; }
scripts/base-image.sh >/dev/null

work=$(mktemp -d)
project="bench$$"
label="dev.tbx.bench=$$"
cleanup() {
  docker ps -aq --filter "label=dev.tbx.project=$project" | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker images -q --filter "label=$label" | xargs -r docker rmi -f >/dev/null 2>&1 || true
  docker images -q --filter "label=dev.tbx.project=$project" | xargs -r docker rmi -f >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

CGO_ENABLED=0 go build -o "$work/" ./cmd/...
mkdir -p "$work/proj/img" "$work/bin"
printf 'FROM debian:bookworm-slim\n' >"$work/proj/img/Dockerfile"
printf '[toolbox]\nname = "%s"\n[tools.box]\nbuild = "img"\ncommands = ["true"]\n' "$project" >"$work/proj/toolbox.toml"
cd "$work/proj"
export XDG_STATE_HOME="$work/state" TBX_TRUST="$work"
"$work/tbx" prepare >/dev/null 2>&1
"$work/tbx" shims install --dir "$work/bin" >/dev/null 2>&1
ref=$("$work/tbx" ls --json | sed -n 's/.*"image": "\(.*\)".*/\1/p')
TBX_WARM=off "$work/tbx" run --tool box -- true
TBX_WARM=15m "$work/tbx" run --tool box -- true
warm=$(docker ps -q --filter "label=dev.tbx.project=$project" --filter label=dev.tbx.warm)

uid=$(id -u); gid=$(id -g)
home=$(echo "$XDG_STATE_HOME"/tbx/home/"$project"-*/box)
if [ "$uid" = 0 ]; then
  user_flags="-v $home:/root -e HOME=/root -e USER=root -e LOGNAME=root"
else
  etc=$(echo "$XDG_STATE_HOME"/tbx/etc/"$project"-*)
  name=${etc##*-}
  user_flags="-v $home:/home/$name -v $etc/passwd:/etc/passwd:ro -v $etc/group:/etc/group:ro -e HOME=/home/$name"
fi
flags="-i --init --user $uid:$gid -v $work/proj:$work/proj -w $work/proj $user_flags --label dev.tbx.project=$project"

hf() { hyperfine -N --warmup 3 --runs "$runs" "$@" </dev/null >&2; }

echo "## tbx on an Engine with $images more images ($(date -u +%F), $(nproc) cores, Engine $(docker version -f '{{.Server.Version}}'))"
echo
before=$(docker images -q | wc -l)
hf --export-json "$work/small.json" -n "tbx ls" "$work/tbx ls" -n "tbx prepare" "$work/tbx prepare"

echo "bench: importing $images images" >&2
seq 1 "$images" | xargs -P 4 -I{} sh -c \
  "printf 'image {}\n' > $work/f{} && tar -C $work -cf - f{} | docker import -c 'LABEL $label' - tbx-bench/unrelated-{}:$$ >/dev/null && rm $work/f{}"
after=$(docker images -q | wc -l)

tbx_cmd="env TBX_WARM=off $work/tbx run --tool box -- true"
warm_cmd="env TBX_WARM=15m $work/tbx run --tool box -- true"
shim_cmd="env TBX_WARM=off $work/bin/true"
docker_cmd="docker run --rm $flags $ref true"
exec_cmd="docker exec -i --user $uid:$gid -w $work/proj $warm true"
echo "Images on the Engine: $before, then $after."
echo
echo '```'
echo "tbx run:      $tbx_cmd"
echo "docker run:   $docker_cmd"
echo "tbx warm:     $warm_cmd"
echo "docker exec:  $exec_cmd   # the same warm container"
echo "shim:         $shim_cmd"
echo '```'
echo
hf --export-markdown "$work/big.md" --export-json "$work/big.json" \
  -n "tbx run" "$tbx_cmd" -n "docker run --rm" "$docker_cmd" \
  -n "tbx run, warm" "$warm_cmd" -n "docker exec" "$exec_cmd" \
  -n "shim" "$shim_cmd" -n "tbx --version" "$work/tbx --version" \
  -n "tbx ls" "$work/tbx ls" -n "tbx prepare" "$work/tbx prepare"
cat "$work/big.md"
echo
python3 - "$work/small.json" "$work/big.json" "$runs" <<'PY'
import json, sys
small = {r['command']: r['median'] for r in json.load(open(sys.argv[1]))['results']}
m = {r['command']: r['median'] for r in json.load(open(sys.argv[2]))['results']}
rows = [
    ("warm tbx run / docker exec", m['tbx run, warm'] / m['docker exec'], "≤ 1.10"),
    ("tbx run / docker run --rm", m['tbx run'] / m['docker run --rm'], "≤ 1.00"),
    ("tbx ls, big / small Engine", m['tbx ls'] / small['tbx ls'], "≤ 1.2"),
    ("no-op tbx prepare, big / small Engine", m['tbx prepare'] / small['tbx prepare'], "≤ 1.2"),
    ("shim / tbx run", m['shim'] / m['tbx run'], "≈ 1"),
]
print("| ratio of medians | value | target |\n|:---|---:|:---|")
for name, v, goal in rows:
    print("| %s | **%.3f** | %s |" % (name, v, goal))
print("| tbx --version | %.1f ms | < 10 ms |" % (m['tbx --version'] * 1000))
print()
print("Medians on the small Engine: tbx ls %.1f ms, tbx prepare %.1f ms. %s runs each, after 3 warm-up runs." % (small['tbx ls'] * 1000, small['tbx prepare'] * 1000, sys.argv[3]))
PY
