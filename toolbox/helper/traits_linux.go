package helper

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// traits are what a process's children inherit from it that another
// process of its user may change from outside (a root command in the
// container, whose user is the reaper's): the process's resource limits
// (prlimit) and OOM score, and each of its threads' nice value,
// scheduling policy, CPUs and I/O priority (renice and the like take a
// thread's id, and a child is forked by any thread). A reaper that serves
// a second run must still have those it had when it started, which are
// PID 1's, as a new one would.
type traits struct {
	limits [unix.RLIMIT_RTTIME + 1]unix.Rlimit
	oom    string
	thread threadTraits // every thread's
	failed bool         // one could not be read, or the threads differ
}

type threadTraits struct {
	nice     int
	sched    unix.SchedAttr
	affinity unix.CPUSet
	ioprio   uintptr
}

// same reports whether t and o are the same traits, each read whole.
func (t traits) same(o traits) bool { return !t.failed && !o.failed && t == o }

// readTraits reads the calling process's traits.
func readTraits() traits {
	var t traits
	for r := range t.limits {
		if unix.Prlimit(0, r, nil, &t.limits[r]) != nil {
			t.failed = true
		}
	}
	b, err := os.ReadFile("/proc/self/oom_score_adj")
	t.oom, t.failed = string(b), t.failed || err != nil
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil || len(tasks) == 0 {
		t.failed = true
		return t
	}
	for i, task := range tasks {
		tid, err := strconv.Atoi(task.Name())
		if err != nil {
			t.failed = true
			continue
		}
		th, ok := readThreadTraits(tid)
		if !ok || i > 0 && th != t.thread {
			t.failed = true
		}
		t.thread = th
	}
	return t
}

// readThreadTraits reads the thread tid's traits; ok is false where one
// could not be read.
func readThreadTraits(tid int) (th threadTraits, ok bool) {
	var err error
	if th.nice, err = unix.Getpriority(unix.PRIO_PROCESS, tid); err != nil {
		return th, false
	}
	a, err := unix.SchedGetAttr(tid, 0)
	if err != nil {
		return th, false
	}
	th.sched = *a
	if unix.SchedGetaffinity(tid, &th.affinity) != nil {
		return th, false
	}
	const ioprioWhoProcess = 1
	var errno unix.Errno
	if th.ioprio, _, errno = unix.Syscall(unix.SYS_IOPRIO_GET, ioprioWhoProcess, uintptr(tid), 0); errno != 0 {
		return th, false
	}
	return th, true
}
