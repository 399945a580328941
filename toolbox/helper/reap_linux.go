package helper

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// reapMain is a direct run's reaper, `reap`, started by PID 1 as root,
// ahead of its run, which it waits for on its control socket (see
// control_linux.go): the command's stdin, stdout and stderr, then the
// job. It starts the command as its user, hands it each signal PID 1
// sends, and once the command ends ends every process it left (a
// subreaper inherits them all, also those that setsid or double-forked
// away), as the removal of a throwaway container would, and says the exit
// code, 128+n for a signal. Then, once PID 1 says the run is over, it
// waits for another run, if it is still as it was when it started (its
// traits): a process start is the dearest part of a run's way in.
//
// It takes no signal itself: taking one costs a program a round trip
// between two of its threads, sixty of them for all, and a child's end is
// seen by waiting for it. A signal sent to the reaper (only a root command
// in the container can) has its default effect; if it ends the reaper,
// the run ends, as when such a command kills it.
func reapMain() int {
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	unix.CloseOnExec(controlFd) // the command gets stdin, stdout and stderr, no more
	// Everything that does not need the run is done while it waits for
	// one. PID 1 ends an idle reaper by closing its control socket.
	sparePID1("self")
	_ = json.Unmarshal([]byte(`{"argv":[""]}`), &job{}) // the decoder's first use is its slowest
	ctl := os.NewFile(controlFd, "control")
	fresh := readTraits()
	for {
		if err := receiveStdio(ctl); err != nil {
			return 125 // PID 1 is stopping, or sent no run
		}
		code, over := runJob(ctl)
		// A run's command (a root one) may have changed what the next
		// would inherit from this process: then a new reaper serves it.
		if !over || !readTraits().same(fresh) {
			return code
		}
		if _, err := ctl.Write([]byte{ctlReady}); err != nil {
			return code
		}
	}
}

// runJob runs the job that follows a run's descriptors on ctl: it starts
// the command, says its exit code on ctl once it and all it left have
// ended, and hands it the signals that ctl says until PID 1 says the run
// is over (over), or goes away.
func runJob(ctl *os.File) (code int, over bool) {
	j, err := readJob(ctl)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tbx:", notInit)
		return 125, false
	}
	cmd := &command{}
	cmd.pid, code = startJob(j)
	cmd.done = code != 0 // it did not start: nothing to signal
	letGoOfStdio()       // the command's output ends when the command's does
	followed := make(chan bool, 1)
	go func() { followed <- cmd.follow(ctl) }()
	if !cmd.done {
		code = cmd.wait()
	}
	if _, err := ctl.Write([]byte{byte(code)}); err != nil {
		return code, false
	}
	return code, <-followed
}

// startJob starts j's command as its user, in its own process group (or
// session, with the terminal on stdin as its controlling one), and returns
// its pid; a command that cannot start is said on stderr, and failed is
// the exit code: 127, or 126. (syscall's ForkExec, not os.StartProcess,
// whose first use in a process costs it a trial fork.)
func startJob(j job) (pid, failed int) {
	if fi, err := os.Stat(j.Dir); err != nil || !fi.IsDir() {
		return 0, missingDir(j.Dir)
	}
	path, err := lookPath(j.Argv[0], j.Env)
	sys := &syscall.SysProcAttr{Setpgid: true, Credential: &syscall.Credential{Uid: j.UID, Gid: j.GID, Groups: j.Groups}}
	if j.TTY {
		sys = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0, Credential: sys.Credential}
	}
	if err == nil {
		pid, err = syscall.ForkExec(path, j.Argv, &syscall.ProcAttr{Dir: j.Dir, Env: j.Env, Files: []uintptr{0, 1, 2}, Sys: sys})
	}
	if err != nil {
		return 0, startFailure(os.Stderr, j.Argv[0], err)
	}
	return pid, 0
}

// command is a started command, to signal until it ends.
type command struct {
	pid  int
	mu   sync.Mutex
	done bool
}

func (c *command) signal(pid int, sig syscall.Signal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.done {
		_ = syscall.Kill(pid, sig)
	}
}

func (c *command) hangup() {
	c.signal(-c.pid, syscall.SIGHUP)
	c.signal(-c.pid, syscall.SIGCONT)
}

// follow hands the command each signal that ctl says, a byte each, and
// hangs it up when ctl says tbx went away, or ends; over is true once ctl
// says the run is over (what follows is another run's).
func (c *command) follow(ctl io.Reader) (over bool) {
	b := make([]byte, 1)
	for {
		if _, err := io.ReadFull(ctl, b); err != nil {
			c.hangup()
			return false
		}
		switch b[0] {
		case ctlOver:
			return true
		case ctlHangup:
			c.hangup()
		default:
			c.signal(c.pid, syscall.Signal(b[0]))
		}
	}
}

// wait is the command's run to its end: every child reaped until it
// ends, then every process it left ended; it returns the exit code,
// 128+n for a signal.
func (c *command) wait() int {
	ws := c.reap()
	killLeftovers()
	return exitCode(ws)
}

// reap collects every child (a subreaper's orphans among them) until the
// command ends, and returns its status.
func (c *command) reap() syscall.WaitStatus {
	for {
		var ws syscall.WaitStatus
		got, err := syscall.Wait4(-1, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if got == c.pid || err != nil {
			c.mu.Lock()
			c.done = true
			c.mu.Unlock()
			return ws
		}
	}
}

// killLeftovers ends every process this one has left as its children:
// those the command left, which a subreaper inherits.
func killLeftovers() { killChildren(func(int) bool { return false }) }

// killChildren ends every child of this process but those keep says to
// keep. Killing one hands its own children to this process (a subreaper,
// or PID 1); they go on the next round.
func killChildren(keep func(pid int) bool) {
	for round := 0; round < 1000; round++ {
		var kids []int
		for _, pid := range children(os.Getpid()) {
			if !keep(pid) {
				kids = append(kids, pid)
			}
		}
		if len(kids) == 0 {
			return
		}
		for _, pid := range kids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		for _, pid := range kids {
			var st syscall.WaitStatus
			_, _ = syscall.Wait4(pid, &st, 0, nil)
		}
	}
}

// children are the pids whose parent is ppid, as /proc says.
func children(ppid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == ppid {
			continue
		}
		if p, err := parentOf(pid); err == nil && p == ppid {
			out = append(out, pid)
		}
	}
	return out
}

// parentOf reads a process's parent from /proc/PID/stat, whose second
// field (the command's name, in parentheses) may hold anything.
func parentOf(pid int) (int, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("no command name")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0, errors.New("a short stat")
	}
	return strconv.Atoi(f[1])
}

// letGoOfStdio gives the reaper's stdin, stdout and stderr, which are the
// command's, for /dev/null: the reaper says nothing once the command has
// started, and tbx sees the output's end as soon as the command and what
// it left have closed theirs. (PID 1 holds stdin to the run's end.)
func letGoOfStdio() {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return
	}
	defer null.Close()
	for fd := 0; fd < 3; fd++ {
		_ = unix.Dup3(int(null.Fd()), fd, 0)
	}
}
