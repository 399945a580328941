package warm

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"

	"github.com/tbx-dev/tbx/toolbox/direct"
)

// server is PID 1's side of the direct path: it starts the commands that
// tbx sends through the socket in Direct, as its own children.
type server struct {
	owner   uint32 // the only uid that may connect
	ln      *net.UnixListener
	reaper  *reaper
	mu      sync.Mutex
	closing bool // PID 1 has decided to stop: every request is refused
}

// serveDirect listens on Direct's socket for owner's runs; nil, with a
// line in the container's log, where it cannot.
func serveDirect(owner uint32, rp *reaper) *server {
	sock := filepath.Join(Direct, direct.Socket)
	_ = os.Remove(sock) // left by a container of the same shape that was killed
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err == nil {
		err = ownSocket(sock, owner)
	}
	if err != nil {
		logf("no direct path, runs come through the Engine: %v", err)
		if ln != nil {
			_ = ln.Close()
		}
		return nil
	}
	s := &server{owner: owner, ln: ln, reaper: rp}
	go s.accept()
	return s
}

// ownSocket makes the socket the owner's alone.
func ownSocket(sock string, owner uint32) error {
	if os.Getuid() == 0 && owner != 0 {
		if err := os.Chown(sock, int(owner), -1); err != nil {
			return err
		}
	}
	return os.Chmod(sock, 0o600)
}

func (s *server) accept() {
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			return // closed: PID 1 is stopping
		}
		go s.serve(c)
	}
}

// close refuses every later request and removes the socket.
func (s *server) close() {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	_ = s.ln.Close()
}

// serve runs one connection's request, or refuses it with a reason, and
// logs the refusal.
func (s *server) serve(c *net.UnixConn) {
	defer c.Close()
	req, files, r, err := s.receive(c)
	defer closeFiles(files)
	if err != nil {
		logf("refused a run: %v", err)
		_ = direct.SendRefusal(c, err.Error(), false)
		return
	}
	leave, err := s.enter()
	if err != nil {
		_ = direct.SendRefusal(c, err.Error(), true)
		return
	}
	defer leave()
	s.run(c, r, req, files)
}

// receive reads and checks a request: from the owner, well formed, with
// the descriptors it must carry.
func (s *server) receive(c *net.UnixConn) (direct.Request, []*os.File, io.Reader, error) {
	uid, err := direct.PeerUID(c)
	if err != nil {
		return direct.Request{}, nil, nil, fmt.Errorf("the peer's uid: %w", err)
	}
	if uid != s.owner {
		return direct.Request{}, nil, nil, fmt.Errorf("a connection from uid %d; only uid %d may run here", uid, s.owner)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	data, files, err := direct.ReadWithRights(c)
	if err != nil {
		return direct.Request{}, nil, nil, err
	}
	r := io.MultiReader(bytes.NewReader(data), c)
	typ, payload, err := direct.ReadFrame(r)
	if err == nil && typ != direct.TypeRequest {
		err = fmt.Errorf("a frame of type %q where a request belongs", typ)
	}
	var req direct.Request
	if err == nil {
		req, err = direct.DecodeRequest(payload)
	}
	if want := descriptors(req.TTY); err == nil && len(files) != want {
		err = fmt.Errorf("%d descriptors with a request that carries %d", len(files), want)
	}
	if err == nil {
		err = checkUser(req.User)
	}
	return req, files, r, err
}

func descriptors(tty bool) int {
	if tty {
		return 0
	}
	return direct.Descriptors
}

// checkUser refuses a run as another user than the helper's own: the
// container's user is part of its shape.
func checkUser(user string) error {
	if user == "" {
		return nil
	}
	own := strconv.Itoa(os.Getuid()) + ":" + strconv.Itoa(os.Getgid())
	if user != own && user != strconv.Itoa(os.Getuid()) {
		return fmt.Errorf("a run as %s in a container of %s", user, own)
	}
	return nil
}

// enter counts a run in, as an exec run does (enterRun); it fails once
// PID 1 has decided to stop.
func (s *server) enter() (leave func(), err error) {
	leave, ok := enterRun()
	if !ok {
		return nil, fmt.Errorf("the container is stopping")
	}
	s.mu.Lock()
	stopping := s.closing
	s.mu.Unlock()
	if stopping {
		leave()
		return nil, fmt.Errorf("the container is stopping")
	}
	return leave, nil
}

// run starts the command, tells tbx, forwards its signals, and sends its
// exit code; a tbx that goes away hangs the command up.
func (s *server) run(c *net.UnixConn, r io.Reader, req direct.Request, files []*os.File) {
	stdio, master, sys, err := stdioFor(req, files)
	if err != nil {
		_ = direct.SendRefusal(c, err.Error(), false)
		return
	}
	env := mergeEnv(os.Environ(), req.Env, req.TTY)
	pid, status, err := s.reaper.start(func() (int, error) {
		path, err := lookPath(req.Argv[0], env)
		if err != nil {
			return 0, err
		}
		p, err := os.StartProcess(path, req.Argv, &os.ProcAttr{Dir: req.Dir, Env: env, Files: stdio, Sys: sys})
		if err != nil {
			return 0, err
		}
		pid := p.Pid // Release forgets it
		_ = p.Release()
		sparePID1(strconv.Itoa(pid))
		return pid, nil
	})
	if err := direct.SendStarted(c, master); err != nil {
		logf("telling tbx that a run started: %v", err)
	}
	if master != nil {
		_ = master.Close()
		defer closeFiles(stdio[:1])
	}
	if err != nil {
		_ = direct.SendExit(c, startFailure(stdio[2], req.Argv[0], err))
		return
	}
	defer noteLauncher("direct-"+strconv.Itoa(pid), req.Launcher)()
	h := &hangup{pid: pid}
	go h.follow(r)
	code := exitCode(<-status)
	h.end()
	_ = direct.SendExit(c, code)
}

// stdioFor is the command's stdin, stdout and stderr: the caller's own, or
// a new terminal whose master goes to tbx.
func stdioFor(req direct.Request, files []*os.File) (stdio []*os.File, master *os.File, sys *syscall.SysProcAttr, err error) {
	if !req.TTY {
		return files, nil, &syscall.SysProcAttr{Setpgid: true}, nil
	}
	master, slave, err := pty.Open()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("allocating a terminal: %w", err)
	}
	if req.Rows > 0 && req.Cols > 0 {
		_ = pty.Setsize(master, &pty.Winsize{Rows: req.Rows, Cols: req.Cols})
	}
	return []*os.File{slave, slave, slave}, master, &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}, nil
}

// hangup forwards tbx's signals to the command until it ends, and hangs
// it up (SIGHUP, then SIGCONT, to its process group) when tbx goes away
// first, as a terminal that closes does.
type hangup struct {
	pid  int
	mu   sync.Mutex
	done bool
}

func (h *hangup) follow(r io.Reader) {
	for {
		typ, payload, err := direct.ReadFrame(r)
		if err != nil {
			h.signal(-h.pid, syscall.SIGHUP)
			h.signal(-h.pid, syscall.SIGCONT)
			return
		}
		if typ == direct.TypeSignal && len(payload) == 1 {
			h.signal(h.pid, syscall.Signal(payload[0]))
		}
	}
}

func (h *hangup) signal(pid int, sig syscall.Signal) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.done && h.pid > 1 {
		_ = syscall.Kill(pid, sig)
	}
}

func (h *hangup) end() {
	h.mu.Lock()
	h.done = true
	h.mu.Unlock()
}

func exitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// mergeEnv is the command's environment as an exec's: the container's,
// TERM on a terminal, then the run's own over it.
func mergeEnv(base, run []string, tty bool) []string {
	index := map[string]int{}
	var out []string
	set := func(kv string) {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := index[k]; ok {
			out[i] = kv
			return
		}
		index[k] = len(out)
		out = append(out, kv)
	}
	for _, kv := range base {
		set(kv)
	}
	if _, ok := index["TERM"]; tty && !ok {
		set("TERM=xterm")
	}
	for _, kv := range run {
		set(kv)
	}
	return out
}

// lookPath finds name on the PATH of env, as the Engine's runtime does.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: executable file not found in $PATH", os.ErrNotExist)
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		if f != nil {
			_ = f.Close()
		}
	}
}

// reaper is PID 1's reaping: it collects every child that exits, and
// hands the status of a command it started to its run.
type reaper struct {
	mu    sync.Mutex
	owned map[int]chan syscall.WaitStatus
}

func newReaper() *reaper { return &reaper{owned: map[int]chan syscall.WaitStatus{}} }

// start runs spawn, which starts a child and returns its pid, and
// registers the child before any reaping can collect it.
func (rp *reaper) start(spawn func() (int, error)) (int, <-chan syscall.WaitStatus, error) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	pid, err := spawn()
	if err != nil {
		return 0, nil, err
	}
	ch := make(chan syscall.WaitStatus, 1)
	rp.owned[pid] = ch
	return pid, ch, nil
}

// reap collects every child that has exited: as PID 1, every orphan.
func (rp *reaper) reap() {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
		if ch, ok := rp.owned[pid]; ok {
			ch <- ws
			delete(rp.owned, pid)
		}
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "tbx-warm: "+format+"\n", args...)
}
