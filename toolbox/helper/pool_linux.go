package helper

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/tbx-dev/tbx/toolbox/internal/helperspec"
)

// A reaper is a process of its own (it must be a subreaper, and the
// kernel gives that to a whole process), and starting one is a program's
// start: a few milliseconds on every run. So PID 1 keeps one started
// ahead, waiting on its control socket, and hands a run to it: the
// command's stdin, stdout and stderr (SCM_RIGHTS), then the job. The
// next is started once one is taken, off the run's path.

// idleReaper is a reaper started ahead: its pid, its status once it ends,
// and PID 1's end of its control socket.
type idleReaper struct {
	pid    int
	status <-chan syscall.WaitStatus
	ctl    *os.File
}

// pool holds at most one reaper started ahead.
type pool struct {
	mu     sync.Mutex
	ready  *idleReaper
	rp     *reaper
	closed bool
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
	if r, err := spawnReaper(p.rp); err == nil {
		p.ready = r
	}
}

// close ends the reaper started ahead (its control socket's end is its
// end: it waits with every signal taken) and starts no other.
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

// take is a reaper for a run: the one started ahead, or a new one.
func (p *pool) take() (*idleReaper, error) {
	p.mu.Lock()
	r := p.ready
	p.ready = nil
	p.mu.Unlock()
	if r != nil {
		return r, nil
	}
	return spawnReaper(p.rp)
}

// spawnReaper starts a reaper that waits for its run on a control socket.
func spawnReaper(rp *reaper) (*idleReaper, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	// PID 1's end is non-blocking, so that closing it (the hangup) ends a
	// read in flight on it (runEnd's).
	if err := unix.SetNonblock(fds[0], true); err != nil {
		_, _ = unix.Close(fds[0]), unix.Close(fds[1])
		return nil, err
	}
	mine, theirs := os.NewFile(uintptr(fds[0]), "control"), os.NewFile(uintptr(fds[1]), "control")
	defer theirs.Close()
	pid, status, err := rp.start(func() (int, error) {
		env := os.Environ() // PID 1's, less EnvTool, which the reaper is told again
		if who.raw != "" {
			env = append(env, EnvTool+"="+who.raw)
		}
		p, err := os.StartProcess("/proc/self/exe", helperspec.Argv("reap"), &os.ProcAttr{Env: env, Files: []*os.File{os.Stdin, os.Stdout, os.Stderr, theirs}})
		if err != nil {
			return 0, err
		}
		pid := p.Pid // Release forgets it
		_ = p.Release()
		return pid, nil
	})
	if err != nil {
		_ = mine.Close()
		return nil, err
	}
	return &idleReaper{pid: pid, status: status, ctl: mine}, nil
}

// hand gives r its run: the command's stdio, then j. r's control socket
// then carries the command's signals, and stays open while tbx is there;
// its close is the hangup.
func (r *idleReaper) hand(j job, stdio []*os.File) error {
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
		// No newline after it, as an Encoder would write: what follows
		// the job on the socket is the command's signals, a byte each.
		var b []byte
		if b, err = json.Marshal(j); err == nil {
			_, err = r.ctl.Write(b)
		}
	}
	return err
}

// receiveStdio is the reaper's side of hand: it takes the command's
// stdin, stdout and stderr from the control socket and makes them its own
// 0, 1 and 2, so that what it says of a command that cannot start reaches
// the run's stderr.
func receiveStdio(ctl *os.File) error {
	oob := make([]byte, unix.CmsgSpace(3*4))
	_, oobn, _, _, err := unix.Recvmsg(int(ctl.Fd()), make([]byte, 1), oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return errors.New("no descriptors with the run")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 3 {
		return fmt.Errorf("%d descriptors with the run, want 3", len(fds))
	}
	for i, fd := range fds {
		if err := unix.Dup3(fd, i, 0); err != nil {
			return err
		}
		_ = unix.Close(fd)
	}
	return nil
}
