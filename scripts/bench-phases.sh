#!/usr/bin/env bash
# Where the time of a warm call goes: `tbx run box` (box is /bin/true in
# the image) through the front's route, RUNS times, with uprobes on tbx's
# own functions and the kernel's exec, exit and connect tracepoints, and
# prints the median of each phase, from the front's exec to its exit, in
# Markdown for docs/benchmarks.md. Needs root, perf (apt-get install
# linux-perf) with uprobes, the Debian base image and Debian's mirror.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${RUNS:-40}

[ "$(id -u)" = 0 ] || { echo "bench-phases: needs root (perf probe)" >&2; exit 1; }
command -v perf >/dev/null || { echo "bench-phases: apt-get install linux-perf" >&2; exit 1; }
scripts/base-image.sh >/dev/null

work=$(mktemp -d)
project="benchphases$$"
cleanup() {
  perf probe -q -d 'probe_tbx:*' 2>/dev/null || true
  docker ps -aq --filter "label=dev.tbx.project=$project" | xargs -r docker rm -f >/dev/null || true
  docker images -q --filter "label=dev.tbx.project=$project" | xargs -r docker rmi -f >/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

CGO_ENABLED=0 go build -o "$work/" ./cmd/...
export XDG_STATE_HOME="$work/state" TBX_TRUST="$work"
tbx=$work/tbx
mkdir -p "$work/p/img"
printf 'FROM debian:bookworm-slim\nRUN ln -s /bin/true /usr/local/bin/box\n' >"$work/p/img/Dockerfile"
printf '[toolbox]\nname = "%s"\n[tools.box]\nbuild = "img"\ncommands = ["box"]\nwarm = "15m"\n' "$project" >"$work/p/toolbox.toml"
cd "$work/p"
"$tbx" prepare >/dev/null 2>&1
for _ in 1 2 3; do "$tbx" run box; done

# The phases' marks, in the order a call passes them.
pkg=github.com/tbx-dev/tbx/toolbox
probes=(
  "rtstart=runtime.schedinit" "rtmain=runtime.main" "main=main.main"
  "route=$pkg/internal/route.Read" "fresh=$pkg/internal/route.(*Route).Fresh"
  "dial=$pkg/internal/direct.Dial" "run=$pkg/internal/direct.(*Conn).Run"
)
perf probe -q -d 'probe_tbx:*' 2>/dev/null || true
for p in "${probes[@]}"; do perf probe -q -x "$tbx" "$p" 2>/dev/null; done
perf record -q -a -o "$work/perf.data" -e 'probe_tbx:*' \
  -e sched:sched_process_exec,sched:sched_process_exit,syscalls:sys_enter_sendmsg \
  -- sh -c "for i in \$(seq $runs); do $tbx run box; sleep 0.03; done" >/dev/null 2>&1

echo "## Where a warm call's time goes ($(date -u +%F), $(nproc) cores, Engine $(docker version -f '{{.Server.Version}}'))"
echo
echo '```'
echo "RUNS=$runs scripts/bench-phases.sh   # at $(git -C "$root" rev-parse --short HEAD)"
echo "each of $runs calls: $tbx run box   # box is /bin/true; warm = \"15m\", through the front's route"
echo '```'
echo
perf script -i "$work/perf.data" -F comm,pid,time,event,trace >"$work/events" 2>/dev/null
python3 - "$work/events" "$tbx" <<'PY'
import re, statistics, sys
events, front = sys.argv[1], sys.argv[2]
marks = [("rtstart", "the runtime starts (schedinit)"), ("rtmain", "runtime.main: the runtime is set up"),
         ("main", "main.main: every package initialised"), ("route", "route.Read starts"),
         ("fresh", "the route is read; checking it"), ("dial", "the route is fresh; dialling the helper"),
         ("run", "connected, the helper checked: the run begins"), ("sendmsg", "the request is sent"),
         ("box", "/bin/true is exec'd in the container"), ("boxend", "/bin/true exits"),
         ("end", "the front's last thread has exited")]
runs, cur = [], None
for line in open(events):
    m = re.match(r"\s*(\S+)\s+(\d+)\s+(\d+\.\d+):\s+(\S+):\s*(.*)", line)
    if not m:
        continue
    comm, pid, t, ev, rest = m.groups()
    t, ev = float(t) * 1000, ev.split(":")[-1]
    if ev == "sched_process_exec" and "filename=" + front + " " in rest:
        cur = {"exec": t, "pid": pid}
        runs.append(cur)
    elif cur is None:
        continue
    elif ev == "sched_process_exec" and comm == "box":
        cur.setdefault("box", t)
    elif ev == "sched_process_exit" and comm == "box":
        cur.setdefault("boxend", t)
    elif pid != cur["pid"]:
        continue
    elif ev == "sched_process_exit":
        cur["end"] = t  # each thread's; the last is the front's end
    elif ev == "sys_enter_sendmsg":
        cur.setdefault("sendmsg", t)
    elif not ev.startswith("sched"):
        cur.setdefault(ev, t)
whole = [r for r in runs if all(k in r for k, _ in marks)]
if not whole:
    sys.exit("bench-phases: no call passed every mark (were the uprobes placed?)")
print("| from the front's exec to | median [ms] | since the mark before [ms] |")
print("|:---|---:|---:|")
prev = "exec"
for k, what in marks:
    print("| %s | %.2f | %.2f |" % (what, statistics.median(r[k] - r["exec"] for r in whole),
                                    statistics.median(r[k] - r[prev] for r in whole)))
    prev = k
print("\n%d calls of %d passed every mark." % (len(whole), len(runs)))
PY
