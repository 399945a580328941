package helper

import (
	"errors"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tbx-dev/tbx/toolbox/internal/helperspec"
)

// A reaper is a process of its own (it must be a subreaper, and the
// kernel gives that to a whole process), and starting one is a program's
// start: a few milliseconds, more than all else on a run's way in. So PID
// 1 keeps one waiting on its control socket and hands a run to it: the
// command's stdin, stdout and stderr (SCM_RIGHTS), then the job. A reaper
// whose run is over waits for the next, if it says it is as it was when
// it started; else a new one is started, off the run's path.

// reaperHandle is PID 1's hold on a reaper: its process (by a pidfd, so
// that no other process that comes to have its pid is ever signalled in
// its place), its status once it ends, and PID 1's end of its control
// socket.
type reaperHandle struct {
	proc   *os.Process
	status <-chan syscall.WaitStatus
	ctl    *os.File
}

// pool holds at most one waiting reaper. A new one inherits PID 1's
// traits, which a root command may have changed too (prlimit 1): pid1
// are those PID 1 had when it started, and no reaper is started once
// PID 1's are not those.
type pool struct {
	mu     sync.Mutex
	ready  *reaperHandle
	rp     *reaper
	pid1   traits
	closed bool
}

// errSpoiled says that PID 1 is not as it was: no later run may start in
// its container.
var errSpoiled = errors.New("a command changed what PID 1's children inherit (its limits, priority, CPUs or OOM score); the container must go")

// spawn starts a reaper, if PID 1 is as it was.
func (p *pool) spawn() (*reaperHandle, error) {
	if !readTraits().same(p.pid1) {
		return nil, errSpoiled
	}
	return spawnReaper(p.rp)
}

// fill starts a reaper ahead, unless one waits.
func (p *pool) fill() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ready != nil || p.closed {
		return
	}
	if r, err := p.spawn(); err == nil {
		p.ready = r
	}
}

// close ends the waiting reaper (its control socket's end is its end)
// and starts no other.
func (p *pool) close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.ready != nil {
		_ = p.ready.ctl.Close()
		p.ready = nil
	}
}

// put keeps r, whose run is over, for the next run, if it is alive (it
// said its run's exit code), says it is as it was and none waits already;
// else it ends r and starts one ahead.
func (p *pool) put(r *reaperHandle, alive bool) {
	if alive && r.again() {
		p.mu.Lock()
		keep := p.ready == nil && !p.closed
		if keep {
			p.ready = r
		}
		p.mu.Unlock()
		if keep {
			return
		}
	}
	r.end()
	p.fill()
}

// readyTime bounds the wait for a reaper to say it takes another run.
const readyTime = time.Second

// again tells r its run is over and reports whether it takes another:
// whether it says so in time.
func (r *reaperHandle) again() bool {
	if _, err := r.ctl.Write([]byte{ctlOver}); err != nil {
		return false
	}
	_ = r.ctl.SetReadDeadline(time.Now().Add(readyTime))
	defer r.ctl.SetReadDeadline(time.Time{})
	b := make([]byte, 1)
	n, err := r.ctl.Read(b)
	return n == 1 && err == nil && b[0] == ctlReady
}

// end ends r: its control socket's close, which it takes for the end,
// and SIGKILL, should it not be waiting on it.
func (r *reaperHandle) end() {
	_ = r.ctl.Close()
	_ = r.proc.Signal(syscall.SIGKILL)
}

// take is a reaper for a run: the one waiting, or a new one.
func (p *pool) take() (*reaperHandle, error) {
	p.mu.Lock()
	r := p.ready
	p.ready = nil
	p.mu.Unlock()
	if r != nil {
		return r, nil
	}
	return p.spawn()
}

// spawnReaper starts a reaper that waits for its run on a control socket.
func spawnReaper(rp *reaper) (*reaperHandle, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	// PID 1's end is non-blocking, so that closing it (the reaper's end)
	// ends a read in flight on it (runEnd's), and a read may have a
	// deadline (again's).
	if err := unix.SetNonblock(fds[0], true); err != nil {
		_, _ = unix.Close(fds[0]), unix.Close(fds[1])
		return nil, err
	}
	mine, theirs := os.NewFile(uintptr(fds[0]), "control"), os.NewFile(uintptr(fds[1]), "control")
	defer theirs.Close()
	var proc *os.Process
	_, status, err := rp.start(func() (int, error) {
		env := os.Environ() // PID 1's, less EnvTool, which the reaper is told again
		if who.raw != "" {
			env = append(env, EnvTool+"="+who.raw)
		}
		var err error
		proc, err = os.StartProcess("/proc/self/exe", helperspec.Argv("reap"), &os.ProcAttr{Env: env, Files: []*os.File{os.Stdin, os.Stdout, os.Stderr, theirs}})
		if err != nil {
			return 0, err
		}
		return proc.Pid, nil
	})
	if err != nil {
		_ = mine.Close()
		return nil, err
	}
	return &reaperHandle{proc: proc, status: status, ctl: mine}, nil
}

// hand gives r its run: the command's stdio, then j (control_linux.go).
func (r *reaperHandle) hand(j job, stdio []*os.File) error {
	fds := make([]int, len(stdio))
	for i, f := range stdio {
		fds[i] = int(f.Fd())
	}
	rc, err := r.ctl.SyscallConn()
	if err != nil {
		return err
	}
	var sent error
	err = rc.Write(func(fd uintptr) bool {
		sent = unix.Sendmsg(int(fd), []byte{0}, unix.UnixRights(fds...), nil, unix.MSG_NOSIGNAL)
		return sent != unix.EAGAIN
	})
	if err == nil {
		err = sent
	}
	if err == nil {
		var b []byte
		if b, err = encodeJob(j); err == nil {
			_, err = r.ctl.Write(b)
		}
	}
	if err == nil {
		// A root command of a run beside can stop a reaper that waits
		// (SIGSTOP): it goes on, rather than hold this run still.
		_ = r.proc.Signal(syscall.SIGCONT)
	}
	return err
}
