#!/usr/bin/env bash
# Measures the warm path from tbx's front against its floors, side by side,
# and prints Markdown for docs/benchmarks.md:
#   1. warm `tbx run box` (box is /bin/true in the image) against `docker
#      exec` of true into the same warm container;
#   2. warm `tbx run kubectl version --client` against the same kubectl
#      binary copied out of the image and run on the host, and (as root)
#      against it run with nsenter in the warm container's namespaces;
#   3. 100 calls of kubectl through tbx's shim against 100 of the host copy;
#   4. a warm call of a project whose other tool has a build context of
#      3,000 files against one whose contexts are a Dockerfile each;
#   5. the kubectl calls of 2 and 3 again, interleaved round by round.
# Needs hyperfine (apt-get install hyperfine), the Debian base image and
# Debian's package mirror (the kubectl image installs kubernetes-client).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${RUNS:-40}
files=${FILES:-3000}

command -v hyperfine >/dev/null || { echo "bench: apt-get install hyperfine" >&2; exit 1; }
scripts/base-image.sh >/dev/null

work=$(mktemp -d)
project="benchwarm$$"
cleanup() {
  for p in "$project" "${project}big"; do
    docker ps -aq --filter "label=dev.tbx.project=$p" | xargs -r docker rm -f >/dev/null || true
    docker images -q --filter "label=dev.tbx.project=$p" | xargs -r docker rmi -f >/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

CGO_ENABLED=0 go build -o "$work/" ./cmd/...
export XDG_STATE_HOME="$work/state" TBX_TRUST="$work"
tbx=$work/tbx

# Two projects alike but for a tool with a large context in the second.
for p in small big; do
  mkdir -p "$work/$p/img"
  printf 'FROM debian:bookworm-slim\nRUN ln -s /bin/true /usr/local/bin/box\n' >"$work/$p/img/Dockerfile"
  printf '[toolbox]\nname = "%s"\n[tools.box]\nbuild = "img"\ncommands = ["box"]\nwarm = "15m"\n[tools.kubectl]\nbuild = "%s/images/kubectl"\ncommands = ["kubectl"]\nwarm = "15m"\n' \
    "$project${p/small/}" "$root" >"$work/$p/toolbox.toml"
done
mkdir -p "$work/big/large/data"
printf 'FROM debian:bookworm-slim\n' >"$work/big/large/Dockerfile"
for i in $(seq 1 "$files"); do echo "$i" >"$work/big/large/data/f$i"; done
printf '[tools.large]\nbuild = "large"\n' >>"$work/big/toolbox.toml"

(cd "$work/small" && "$tbx" prepare >/dev/null 2>&1)
(cd "$work/big" && "$tbx" prepare box >/dev/null 2>&1)
cd "$work/small"
for _ in 1 2 3; do "$tbx" run box; "$tbx" run kubectl version --client >/dev/null; done
(cd "$work/big" && for _ in 1 2 3; do "$tbx" run box; done)

warm=$(docker ps -q --filter "label=dev.tbx.project=$project" --filter label=dev.tbx.warm --filter label=dev.tbx.tool=box | head -1)
kwarm=$(docker ps -q --filter "label=dev.tbx.project=$project" --filter label=dev.tbx.warm --filter label=dev.tbx.tool=kubectl | head -1)
docker cp "$kwarm:/usr/bin/kubectl" "$work/kubectl" >/dev/null
"$tbx" shims install --dir "$work/shims" >/dev/null
uid=$(id -u); gid=$(id -g)

engine="$(date -u +%F), $(nproc) cores, Engine $(docker version -f '{{.Server.Version}}')"
echo "## The warm path against its floors ($engine)"
echo
echo '```'
echo "tbx run, warm:        $tbx run box   # box is /bin/true; warm = \"15m\""
echo "docker exec:          docker exec -i --user $uid:$gid -w $work/small $warm true   # the same warm container"
echo "kubectl, tbx:         $tbx run kubectl version --client"
echo "kubectl, host:        $work/kubectl version --client   # the image's binary, copied out"
cmds=(-n "tbx run, warm" "$tbx run box" -n "docker exec" "docker exec -i --user $uid:$gid -w $work/small $warm true"
  -n "kubectl, tbx" "$tbx run kubectl version --client" -n "kubectl, host" "$work/kubectl version --client")
if [ "$uid" = 0 ] && command -v nsenter >/dev/null; then
  kpid=$(docker inspect -f '{{.State.Pid}}' "$kwarm")
  echo "kubectl, nsenter:     nsenter -t $kpid -a kubectl version --client   # in the warm container's namespaces"
  cmds+=(-n "kubectl, nsenter" "nsenter -t $kpid -a kubectl version --client")
fi
echo "100 shim calls:       PATH=$work/shims:\$PATH sh -c 'for i in \$(seq 100); do kubectl version --client; done'"
echo "100 host calls:       sh -c 'for i in \$(seq 100); do $work/kubectl version --client; done'"
echo "small contexts:       (cd $work/small && $tbx run box)"
echo "a 3,000-file context: (cd $work/big && $tbx run box)   # another tool's context"
echo '```'
echo
hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/one.md" --export-json "$work/one.json" "${cmds[@]}" </dev/null >&2
PATH="$work/shims:$PATH" hyperfine -N --warmup 1 --runs "${LOOPS:-5}" --export-markdown "$work/loop.md" --export-json "$work/loop.json" \
  -n "100 shim calls" "sh -c 'for i in \$(seq 100); do kubectl version --client >/dev/null; done'" \
  -n "100 host calls" "sh -c 'for i in \$(seq 100); do $work/kubectl version --client >/dev/null; done'" </dev/null >&2
hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/ctx.md" --export-json "$work/ctx.json" \
  -n "small contexts" "sh -c 'cd $work/small && $tbx run box'" -n "a 3,000-file context" "sh -c 'cd $work/big && $tbx run box'" </dev/null >&2
for f in one loop ctx; do cat "$work/$f.md"; echo; done
python3 - "$work" <<'PY'
import json, sys
m = {}
for f in ('one', 'loop', 'ctx'):
    m.update({r['command']: r['median'] for r in json.load(open(f"{sys.argv[1]}/{f}.json"))['results']})
print("Median ratios: warm tbx run/docker exec **%.3f** (goal ≤ 0.15); kubectl through tbx/on the host **%.3f** (goal ≤ 1.10)%s; "
      "100 shim calls/100 host calls **%.3f** (goal ≤ 1.10); a 3,000-file context/small ones **%.3f** (goal ≤ 1.05)." % (
    m['tbx run, warm'] / m['docker exec'], m['kubectl, tbx'] / m['kubectl, host'],
    "; nsenter/host %.3f" % (m['kubectl, nsenter'] / m['kubectl, host']) if 'kubectl, nsenter' in m else "",
    m['100 shim calls'] / m['100 host calls'], m['a 3,000-file context'] / m['small contexts']))
PY
# hyperfine runs each command's runs in a row, so a drift of the machine
# (another job, the page cache) weighs on one command more than another:
# on a busy 2-core machine kubectl alone varies by ±5 ms from minute to
# minute. Interleaved, round by round, the three kubectl calls see the same
# machine, and the ratio of their medians is the fairer one.
PATH="$work/shims:$PATH" python3 - "$tbx" "$work/kubectl" "${kpid:-}" "${ROUNDS:-150}" <<'PY'
import os, statistics, subprocess, sys, time
tbx, host, pid, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
calls = {"tbx": [tbx, "run", "kubectl", "version", "--client"], "shim": ["kubectl", "version", "--client"],
         "host": [host, "version", "--client"]}
if pid:
    calls["nsenter"] = ["nsenter", "-t", pid, "-a", "kubectl", "version", "--client"]
took = {k: [] for k in calls}
for _ in range(rounds):
    for k, argv in calls.items():
        t = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        took[k].append(time.perf_counter() - t)
med = {k: statistics.median(v) * 1000 for k, v in took.items()}
print("\nInterleaved, %d rounds (medians): %s." % (rounds, ", ".join("%s %.1f ms" % kv for kv in med.items())))
print("kubectl through tbx/on the host **%.3f**, through its shim/on the host **%.3f**%s." % (
    med["tbx"] / med["host"], med["shim"] / med["host"],
    "; tbx/nsenter %.3f, nsenter/host %.3f" % (med["tbx"] / med["nsenter"], med["nsenter"] / med["host"]) if pid else ""))
PY
