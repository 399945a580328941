package helper

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
	"github.com/moby/sys/user"

	"github.com/tbx-dev/tbx/toolbox/internal/direct"
)

// server is PID 1's side of the direct path: it starts the commands that
// tbx sends through the socket in Direct, as its own children.
type server struct {
	owner   uint32         // the only uid that may connect
	fatal   direct.Refusal // why every run is refused, and the container must go (Fatal)
	spec    Spec
	user    job // the credentials and HOME of every command
	ln      *direct.Listener
	reaper  *reaper
	pool    *pool // reapers started ahead
	mu      sync.Mutex
	closing bool                // PID 1 has decided to stop: every request is refused
	runs    sync.WaitGroup      // runs whose exit code is yet to be sent
	running map[*signaller]bool // the runs whose command may be running
	served  chan struct{}       // a spare's one run has sent its exit code (Spec.Once)
}

// serveDirect listens on Direct's socket for the spec owner's runs; nil,
// with a line in the container's log, where it cannot.
func serveDirect(spec Spec, user job, rp *reaper) *server {
	p := &pool{rp: rp, pid1: readTraits()}
	go p.fill()
	return listen(&server{owner: *spec.Owner, spec: spec, user: user, reaper: rp, pool: p, served: make(chan struct{})})
}

// refuseDirect serves owner's runs with a refusal that has tbx remove the
// container: why its mounts are not what tbx checked.
func refuseDirect(owner uint32, why string) {
	listen(&server{owner: owner, fatal: direct.Refusal{Reason: why, Fatal: true}})
}

// listen serves s on Direct's socket; nil where it cannot.
func listen(s *server) *server {
	sock := filepath.Join(Direct, direct.Socket)
	_ = os.Remove(sock) // left by a container of the same shape that was killed
	ln, err := direct.Listen(sock)
	if err == nil {
		err = ownSocket(sock, s.owner)
	}
	if err != nil {
		logf("no direct path, runs come through the Engine: %v", err)
		if ln != nil {
			_ = ln.Close()
		}
		return nil
	}
	s.ln = ln
	go s.accept()
	return s
}

// resolveUser is who the spec's commands run as, found in the image's
// passwd and group files as the Engine's runtime finds it, with the
// spec's supplementary groups; the HOME is the passwd entry's.
func resolveUser(spec Spec) (job, error) {
	u, err := user.GetExecUserPath(spec.User, &user.ExecUser{Home: "/"}, "/etc/passwd", "/etc/group")
	if err != nil {
		return job{}, fmt.Errorf("the user %q: %w", spec.User, err)
	}
	extra, err := user.GetAdditionalGroupsPath(spec.Groups, "/etc/group")
	if err != nil {
		return job{}, fmt.Errorf("the groups %q: %w", spec.Groups, err)
	}
	j := job{UID: uint32(u.Uid), GID: uint32(u.Gid), Env: []string{"HOME=" + u.Home}}
	for _, g := range append(u.Sgids, extra...) {
		j.Groups = append(j.Groups, uint32(g))
	}
	return j, nil
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

// Bounds on connections: those still sending their request (a stalled
// one waits out its read deadline), and all at once.
const (
	maxPending     = 16
	maxConnections = 256
)

func (s *server) accept() {
	pending := make(chan struct{}, maxPending)
	active := make(chan struct{}, maxConnections)
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return // closed: PID 1 is stopping
		}
		select {
		case active <- struct{}{}:
		default:
			refuseBusy(c, "too many runs at once")
			continue
		}
		select {
		case pending <- struct{}{}:
		default:
			<-active
			refuseBusy(c, "too many connections still sending their request")
			continue
		}
		go func() {
			defer func() { <-active }()
			s.serve(c, func() { <-pending })
		}()
	}
}

// refuseBusy refuses a connection over a bound, with a line in the log.
func refuseBusy(c *direct.Sock, why string) {
	logf("refused a run: %s", why)
	_ = direct.SendRefusal(c, why, false)
	_ = c.Close()
}

// wait waits, up to limit, for the runs in flight to have sent their exit
// codes.
func (s *server) wait(limit time.Duration) {
	if s == nil {
		return
	}
	done := make(chan struct{})
	go func() {
		s.runs.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(limit):
	}
}

// track counts h among the runs whose command may be running, or no more.
func (s *server) track(h *signaller, running bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running == nil {
		s.running = map[*signaller]bool{}
	}
	if running {
		s.running[h] = true
	} else {
		delete(s.running, h)
	}
}

// terminate gives every running command SIGTERM, through its reaper.
func (s *server) terminate() {
	if s == nil {
		return
	}
	s.mu.Lock()
	running := make([]*signaller, 0, len(s.running))
	for h := range s.running {
		running = append(running, h)
	}
	s.mu.Unlock()
	for _, h := range running { // a write may wait for its reaper: not under s.mu
		h.signal(syscall.SIGTERM)
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
	s.pool.close()
}

// serve runs one connection's request, or refuses it with a reason, and
// logs the refusal; received is called once the request is in.
func (s *server) serve(c *direct.Sock, received func()) {
	defer c.Close()
	req, files, r, err := s.receive(c)
	received()
	defer closeFiles(files)
	if err != nil {
		logf("refused a run: %v", err)
		_ = direct.SendRefusal(c, err.Error(), false)
		return
	}
	if fatal := s.fatalRefusal(); fatal.Fatal {
		_ = direct.Refuse(c, fatal)
		return
	}
	leave, err := s.enter()
	if err != nil {
		_ = direct.SendRefusal(c, err.Error(), !s.spec.Once)
		return
	}
	defer leave()
	defer s.runs.Done()
	if s.spec.Once {
		defer close(s.served)
	}
	s.run(c, r, req, files)
}

// receive reads and checks a request: from the owner, well formed, with
// the descriptors it must carry.
func (s *server) receive(c *direct.Sock) (direct.Request, []*os.File, io.Reader, error) {
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
	if err == nil && !s.fatalRefusal().Fatal && req.User != s.spec.User {
		err = fmt.Errorf("a run as %q in a container whose commands run as %q", req.User, s.spec.User)
	}
	return req, files, r, err
}

func descriptors(tty bool) int {
	if tty {
		return 0
	}
	return direct.Descriptors
}

// enter counts a run in, as an exec run does (enterRun); it fails once
// PID 1 has decided to stop.
func (s *server) enter() (leave func(), err error) {
	leave, ok := enterRun()
	if !ok {
		return nil, fmt.Errorf("the container is stopping")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing && s.spec.Once {
		leave()
		return nil, fmt.Errorf("the spare was claimed by another run")
	}
	if s.closing {
		leave()
		return nil, fmt.Errorf("the container is stopping")
	}
	s.runs.Add(1)
	if s.spec.Once {
		s.claimLocked()
	}
	return leave, nil
}

// claimLocked takes a spare for its one run, with s.mu held: every later
// request is refused, and the socket's name goes, so that the maker of
// the next spare, and every later run, finds this one claimed without
// asking it. The listener stays open: a connection already queued is
// answered (claimed), never reset.
func (s *server) claimLocked() {
	s.closing = true
	_ = os.Remove(filepath.Join(Direct, direct.Socket))
}

// retire closes a spare that no run has claimed, as a claim does, and
// reports whether it did: the same decision, under the same lock, as a
// run's claim.
func (s *server) retire() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false // claimed
	}
	s.claimLocked()
	return true
}

// finished is closed once a spare's one run has sent its exit code; nil
// (never) for a warm container, or where there is no direct path.
func (s *server) finished() <-chan struct{} {
	if s == nil || !s.spec.Once {
		return nil
	}
	return s.served
}

// run starts the command under a reaper of its own, tells tbx, forwards
// its signals, and sends its exit code once the command and all it left
// have ended; a tbx that goes away hangs the command up.
func (s *server) run(c *direct.Sock, rd io.Reader, req direct.Request, files []*os.File) {
	stdio, master, err := stdioFor(req, files)
	var outputs []*os.File
	if !req.TTY {
		stdio, outputs = files[:3], files[3:]
	}
	if err != nil {
		_ = direct.SendRefusal(c, err.Error(), false)
		return
	}
	s.reaper.sweep() // nothing an earlier run left sees this one
	j := s.user
	j.Argv, j.Dir, j.TTY = req.Argv, req.Dir, req.TTY
	j.Env = mergeEnv(append(os.Environ(), s.user.Env...), req.Env, req.TTY)
	r, err := s.startReaper(j, stdio)
	if err != nil {
		closeFiles(stdio[:1])
		if master != nil {
			_ = master.Close()
		}
		s.refuseStart(c, err)
		return
	}
	if master == nil {
		// The reaper and the command have the outputs: their end reaches
		// tbx once they are done with them, not once this run is over.
		// Stdin stays held until the exit code is sent: tbx may be
		// splicing into it from a terminal, which holds the pipe's lock
		// until something is typed, and the last close of a pipe waits
		// for that lock; the command's exit must never be that close.
		closeFiles(stdio[1:])
	}
	if err := direct.SendStarted(c, master); err != nil {
		logf("telling tbx that a run started: %v", err)
	}
	if master != nil {
		_ = master.Close()
		closeFiles(stdio[:1])
	}
	defer noteLauncher("direct-"+strconv.Itoa(r.proc.Pid), req.Launcher)()
	h := &signaller{ctl: r.ctl, outputs: outputs}
	s.track(h, true)
	go h.follow(rd)
	code, said := runEnd(r.ctl, r.status)
	h.end()
	s.track(h, false)
	_ = direct.SendExit(c, code)
	if !s.spec.Once { // a spare's PID 1 ends with its one run
		s.pool.put(r, said) // the next run's reaper: off this run's path
	}
}

// refuseStart refuses a run whose command could not be handed to a
// reaper. When PID 1 is spoiled, so is every later run: the container
// takes none, and tbx removes it and runs them in a new one.
func (s *server) refuseStart(c *direct.Sock, err error) {
	if !errors.Is(err, errSpoiled) {
		_ = direct.SendRefusal(c, err.Error(), false)
		return
	}
	logf("refusing every run: %v", errSpoiled)
	refusal := direct.Refusal{Reason: errSpoiled.Error(), Fatal: true, Retry: true}
	s.mu.Lock()
	s.fatal = refusal
	s.mu.Unlock()
	_ = direct.Refuse(c, refusal)
}

// fatalRefusal is why every run is refused (Fatal), if it is.
func (s *server) fatalRefusal() direct.Refusal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fatal
}

// runEnd is the run's exit code: as its reaper says it on its control
// socket once the command and all it left have ended (said), or as its
// own end says it (a root command can kill its reaper).
func runEnd(ctl *os.File, status <-chan syscall.WaitStatus) (code int, said bool) {
	got := make(chan int, 1)
	go func() {
		b := make([]byte, 1)
		if n, _ := ctl.Read(b); n == 1 {
			got <- int(b[0])
		}
	}()
	select {
	case code := <-got:
		return code, true
	case ws := <-status:
		return exitCode(ws), false
	}
}

// startReaper hands the run to a reaper (reapMain), a waiting one where
// there is one, which starts the command with stdio. A waiting reaper
// that has died meanwhile (a root command can kill one) is replaced by a
// new one.
func (s *server) startReaper(j job, stdio []*os.File) (*reaperHandle, error) {
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		var r *reaperHandle
		if r, err = s.pool.take(); err != nil {
			break
		}
		if err = r.hand(j, stdio); err == nil {
			return r, nil
		}
		r.end()
	}
	return nil, fmt.Errorf("starting the run: %w", err)
}

// stdioFor is the command's stdin, stdout and stderr: the pipes tbx sent,
// or a new terminal whose master goes to tbx.
func stdioFor(req direct.Request, files []*os.File) (stdio []*os.File, master *os.File, err error) {
	if !req.TTY {
		return files, nil, nil
	}
	master, slave, err := pty.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("allocating a terminal: %w", err)
	}
	if req.Rows > 0 && req.Cols > 0 {
		_ = pty.Setsize(master, &pty.Winsize{Rows: req.Rows, Cols: req.Cols})
	}
	return []*os.File{slave, slave, slave}, master, nil
}

// signaller forwards tbx's signals to the run's reaper, a byte each on
// its control socket, which hands them to the command, until the run
// ends; it says ctlHangup when tbx goes away first.
type signaller struct {
	ctl     *os.File
	outputs []*os.File // the read ends of the command's output, drained once tbx is gone
	mu      sync.Mutex
	done    bool
}

func (h *signaller) follow(r io.Reader) {
	for {
		typ, payload, err := direct.ReadFrame(r)
		if err != nil {
			for _, f := range h.outputs {
				go func() { _, _ = io.Copy(io.Discard, f) }()
			}
			h.say(ctlHangup)
			return
		}
		if typ == direct.TypeSignal && len(payload) == 1 && payload[0] != ctlOver && payload[0] != ctlHangup {
			h.say(payload[0])
		}
	}
}

func (h *signaller) signal(sig syscall.Signal) { h.say(byte(sig)) }

// say writes b to the reaper while the run lasts.
func (h *signaller) say(b byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.done {
		_, _ = h.ctl.Write([]byte{b})
	}
}

// end stops the forwarding: the run is over.
func (h *signaller) end() {
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
	var found string // a file of that name that is not executable
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, name)
		fi, err := os.Stat(p)
		switch {
		case err != nil || !fi.Mode().IsRegular():
		case fi.Mode()&0o111 != 0:
			return p, nil
		case found == "":
			found = p
		}
	}
	if found != "" {
		return "", &notExecutable{name: name, path: found}
	}
	return "", exec.ErrNotFound // as os/exec says it, so a warm run says what a throwaway one does
}

// notExecutable is a command found on PATH as a file that may not be
// executed: a shell says "permission denied", and exits 126.
type notExecutable struct{ name, path string }

func (e *notExecutable) Error() string {
	return fmt.Sprintf("%s is in the image at %s, but is not executable", e.name, e.path)
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

// sweep ends every process in the container that no run owns: as PID 1,
// its children are the reapers it started and the orphans of everything
// else, whatever they are. A run's command that is root can kill its
// reaper, and what it started then comes here; it must not outlive its
// run, see a later run's environment or read its stdin. Killing one hands
// its own children to PID 1; they go on the next round. The reapers are
// held still meanwhile, so that a run starting now is never taken for a
// stranger.
func (rp *reaper) sweep() {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	killChildren(func(pid int) bool {
		_, started := rp.owned[pid]
		return started
	})
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
