#!/usr/bin/env bash
# Measures the warm path of two builds of tbx side by side, interleaved,
# on one machine in one run, and prints Markdown for docs/benchmarks.md:
#   1. warm `tbx run kubectl version --client` of each build against the
#      same kubectl binary copied out of the image and run on the host, and
#      warm `tbx run box` (/bin/true) of each, round by round;
#   2. 100 kubectl calls through each build's shim against 100 of the host
#      copy, loop by loop.
# Usage: scripts/bench-ab.sh BASE [HEAD]   (commits; HEAD by default)
# Each build has its own state directory, so its own routes and warm
# containers; both share one project and its images. Needs the Debian base
# image and Debian's package mirror (the kubectl image installs
# kubernetes-client).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
base=${1:?usage: scripts/bench-ab.sh BASE [HEAD]}
head=${2:-HEAD}
scripts/base-image.sh >/dev/null

work=$(mktemp -d)
project="benchab$$"
cleanup() {
  docker ps -aq --filter "label=dev.tbx.project=$project" | xargs -r docker rm -f >/dev/null || true
  docker images -q --filter "label=dev.tbx.project=$project" | xargs -r docker rmi -f >/dev/null || true
  for b in base head; do git worktree remove --force "$work/src-$b" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

for b in base head; do
  rev=$base
  [ "$b" = head ] && rev=$head
  git worktree add -f --detach "$work/src-$b" "$rev" >/dev/null 2>&1
  (cd "$work/src-$b" && CGO_ENABLED=0 go build -o "$work/$b/" ./cmd/...)
done
export TBX_TRUST="$work"
mkdir -p "$work/p/img"
printf 'FROM debian:bookworm-slim\nRUN ln -s /bin/true /usr/local/bin/box\n' >"$work/p/img/Dockerfile"
printf '[toolbox]\nname = "%s"\n[tools.box]\nbuild = "img"\ncommands = ["box"]\nwarm = "15m"\n[tools.kubectl]\nbuild = "%s/images/kubectl"\ncommands = ["kubectl"]\nwarm = "15m"\n' \
  "$project" "$root" >"$work/p/toolbox.toml"
cd "$work/p"
for b in base head; do
  export XDG_STATE_HOME="$work/$b/state"
  "$work/$b/tbx" prepare >/dev/null 2>&1
  for _ in 1 2 3; do "$work/$b/tbx" run box; "$work/$b/tbx" run kubectl version --client >/dev/null; done
  "$work/$b/tbx" shims install --dir "$work/$b/shims" >/dev/null 2>&1
done
kwarm=$(docker ps -q --filter "label=dev.tbx.project=$project" --filter label=dev.tbx.warm --filter label=dev.tbx.tool=kubectl | head -1)
docker cp "$kwarm:/usr/bin/kubectl" "$work/kubectl" >/dev/null

echo "## Two builds side by side: $(git -C "$root" rev-parse --short "$base") and $(git -C "$root" rev-parse --short "$head") ($(date -u +%F), $(nproc) cores, Engine $(docker version -f '{{.Server.Version}}'))"
echo
echo "Command: \`scripts/bench-ab.sh $base $head\`"
python3 - "$work" <<'PY'
import os, statistics, subprocess, sys, time
work = sys.argv[1]
env = {b: dict(os.environ, XDG_STATE_HOME=f"{work}/{b}/state") for b in ("base", "head")}
calls = {}
for b in ("base", "head"):
    calls[f"{b} kubectl"] = ([f"{work}/{b}/tbx", "run", "kubectl", "version", "--client"], env[b])
calls["host kubectl"] = ([f"{work}/kubectl", "version", "--client"], os.environ)
for b in ("base", "head"):
    calls[f"{b} box"] = ([f"{work}/{b}/tbx", "run", "box"], env[b])
rounds = int(os.environ.get("ROUNDS", "100"))
took = {k: [] for k in calls}
for _ in range(rounds):
    for k, (argv, e) in calls.items():
        t = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, env=e)
        took[k].append(time.perf_counter() - t)
med = {k: statistics.median(v) * 1000 for k, v in took.items()}
print(f"\nInterleaved, {rounds} rounds (medians): " + ", ".join("%s %.1f ms" % kv for kv in med.items()) + ".")
print("kubectl through tbx/on the host: base **%.3f**, head **%.3f**." % (med["base kubectl"] / med["host kubectl"], med["head kubectl"] / med["host kubectl"]))
loop = "for i in $(seq 100); do kubectl version --client >/dev/null; done"
loops = {f"{b} shims": (loop, dict(env[b], PATH=f"{work}/{b}/shims:" + os.environ["PATH"])) for b in ("base", "head")}
loops["host"] = (loop.replace("kubectl version", f"{work}/kubectl version"), os.environ)
lt = {k: [] for k in loops}
for _ in range(int(os.environ.get("LOOPS", "3"))):
    for k, (sh, e) in loops.items():
        t = time.perf_counter()
        subprocess.run(["sh", "-c", sh], env=e, check=True)
        lt[k].append(time.perf_counter() - t)
lm = {k: statistics.median(v) for k, v in lt.items()}
print("\n100 kubectl calls in a row, loop by loop (medians): " + ", ".join("%s %.2f s" % kv for kv in lm.items()) + ".")
print("100 shim calls/100 host calls: base **%.3f**, head **%.3f**." % (lm["base shims"] / lm["host"], lm["head shims"] / lm["host"]))
PY
