package helper

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"golang.org/x/sys/unix"

	"github.com/tbx-dev/tbx/toolbox/internal/helperspec"
)

// initMain is PID 1, `init SPEC`: as root, apart from the commands it
// starts, it checks that the host paths mounted are those tbx checked,
// reaps every orphan, serves the direct path for the spec's owner, and
// exits, stopping the container, once no run has held the lock for the
// idle time. Stopped (docker stop, tbx gc), it gives each running command
// SIGTERM and waits for them, until the Engine's SIGKILL.
func initMain(args []string) int {
	spec, err := helperspec.DecodeSpec(first(args))
	idle, perr := time.ParseDuration(spec.Idle)
	if err != nil || perr != nil || idle <= 0 || len(args) != 1 {
		fmt.Fprintln(os.Stderr, "tbx: warm init needs its spec")
		return 125
	}
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0) // no command may trace it
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	chld := make(chan os.Signal, 1)
	signal.Notify(chld, syscall.SIGCHLD)
	retire := make(chan os.Signal, 1)
	signal.Notify(retire, syscall.SIGUSR2) // Retire
	if err := verifyMounts(spec.Expect); err != nil {
		return refuseAll(spec, err)
	}
	// Who commands run as is written before the lock, whose making says
	// to exec runs that the container is ready.
	user, err := resolveUser(spec)
	if err != nil {
		return refuseAll(spec, err)
	}
	if err := writeSealed(runAs, user); err != nil {
		fmt.Fprintln(os.Stderr, "tbx: warm init:", err)
		return 125
	}
	f, err := os.OpenFile(lock, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tbx: warm init:", err)
		return 125
	}
	rp := newReaper()
	var srv *server
	if spec.Owner != nil {
		srv = serveDirect(spec, user, rp)
	}
	sweeps := make(chan os.Signal, 1)
	signal.Notify(sweeps, syscall.SIGUSR1) // an exec run's request: sweepMe
	last, draining := time.Now(), false
	markIdle(last)
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			srv.close()
			srv.terminate()
			endRuns(rp, chld)
			srv.wait(grace)       // the direct runs' exit codes reach tbx
			time.Sleep(grace / 2) // tbx reads the exec runs' exit codes from the Engine
			return 0
		case <-chld:
			rp.reap()
			rp.sweep() // a reaper that ended leaves no process behind
			continue
		case <-srv.finished():
			// A spare's one run is over and its reaper has ended what the
			// run left; whatever escaped it (a root command can kill its
			// reaper) ends with PID 1, whose exit has the kernel kill every
			// process in the container, which then goes, as a throwaway
			// one does.
			srv.close()
			return 0
		case <-sweeps:
			rp.reap()
			answerSweeps(rp)
			continue
		case <-retire:
			// No run in flight is ever ended by whoever asked. A spare
			// that no run has claimed goes now; a claimed one goes at its
			// run's end, as ever.
			if spec.Once && srv != nil {
				if !srv.retire() {
					continue
				}
				time.Sleep(grace / 5) // a connection already queued is answered
				return 0
			}
			// A warm container takes no new run, and goes once none is
			// in it: now, below, if none is.
			srv.close()
			_ = os.WriteFile(closing, nil, 0o644)
			draining = true
		case <-tick.C:
		}
		rp.reap()
		rp.sweep()
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
			last = time.Now() // a run holds the lock
			markIdle(last)
			continue
		}
		if draining || time.Since(last) >= idle {
			// Marked while holding the lock, so that no run is inside; a
			// run arriving in the grace time sees it and goes elsewhere.
			srv.close()
			_ = os.WriteFile(closing, nil, 0o644)
			_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			time.Sleep(grace)
			return 0
		}
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	}
}

// refuseAll is PID 1 in a container whose mounts are not what tbx
// checked: it says why in the log and to every run that comes for a
// while (tbx then removes the container), and exits, which removes it.
func refuseAll(spec Spec, err error) int {
	logf("refusing every run: %v", err)
	_ = os.WriteFile(refused, []byte(err.Error()), 0o644)
	if spec.Owner != nil {
		refuseDirect(*spec.Owner, err.Error())
	}
	time.Sleep(5 * grace)
	return 125
}

// endRuns gives every command an exec run started SIGTERM, as the stop of
// a throwaway container does (the direct runs' have theirs through their
// reapers: server.terminate), and waits for every process to end: the
// Engine's SIGKILL after its grace period ends those that do not.
func endRuns(rp *reaper, chld <-chan os.Signal) {
	for _, pid := range execCommands() {
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	for othersAlive() {
		select {
		case <-chld:
		case <-time.After(poll):
		}
		rp.reap()
	}
}

// othersAlive reports whether any process but this one is in the
// container.
func othersAlive() bool {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid != os.Getpid() {
			return true
		}
	}
	return false
}

// execCommands are the pids of the commands that exec runs started.
func execCommands() []int {
	files, _ := filepath.Glob(filepath.Join(State, "run-*"))
	var out []int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if pid, perr := strconv.Atoi(string(b)); err == nil && perr == nil {
			out = append(out, pid)
		}
	}
	return out
}

func markIdle(t time.Time) {
	_ = os.WriteFile(since, []byte(strconv.FormatInt(t.Unix(), 10)), 0o644)
}

// execMain runs one command: `exec TOKEN LAUNCHER SIZE DIR -- ARGV...`,
// where LAUNCHER is the pid@host of the tbx that started it, SIZE the
// terminal's ROWSxCOLS ("-" without one) and DIR its working directory,
// which it enters itself, to say so when it is missing.
func execMain(args []string) int {
	if len(args) < 6 || args[4] != "--" || strings.ContainsAny(args[0]+args[1], "/\n") {
		fmt.Fprintln(os.Stderr, "tbx:", notInit)
		return 125
	}
	token, launcher, dir, argv := args[0], args[1], args[3], args[5:]
	if why := awaitInit(); why != "" {
		fmt.Fprintf(os.Stderr, "tbx: refusing to run: %s\n", why)
		return 125
	}
	as, err := readRunAs()
	if err != nil {
		fmt.Fprintf(os.Stderr, "tbx: refusing to run: %v\n", err)
		return 125
	}
	_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	sparePID1("self")
	setSize(args[2])
	if err := os.Chdir(dir); err != nil {
		return missingDir(dir)
	}
	leave, ok := enterRun()
	if !ok {
		return Retry // the container is not ready, stopping, or gone
	}
	defer leave()
	defer noteLauncher(token, launcher)()
	// The command is taken: say so out of band, for a command that exits
	// with the code a refusal exits with.
	ranFile := filepath.Join(State, "ran-"+token)
	_ = os.WriteFile(ranFile, nil, 0o644)
	sweepFirst(token)
	code := run(token, argv, as)
	if code != Retry {
		_ = os.Remove(ranFile)
	}
	return code
}

// missingDir says that the working directory dir is not in the
// container, with a throwaway run's exit code for a command that cannot
// be invoked.
func missingDir(dir string) int {
	fmt.Fprintf(os.Stderr, "tbx: the working directory %s is not in the container (removed since the warm container started?); cd to one that is, or `tbx gc --warm`\n", dir)
	return 126
}

// awaitInit waits for PID 1 to have checked the container's mounts: ""
// once it has, or why it refuses every run.
func awaitInit() string {
	for i := 0; i < 1000; i++ {
		if b, err := os.ReadFile(refused); err == nil {
			return string(b)
		}
		if _, err := os.Stat(lock); err == nil {
			return ""
		}
		time.Sleep(5 * time.Millisecond)
	}
	return ""
}

// enterRun counts a run in: a shared lock on the file PID 1 locks
// exclusively to stop, taken only while PID 1 has not marked itself
// closing. leave ends the run; ok is false when the run must go elsewhere.
func enterRun() (leave func(), ok bool) {
	f, err := os.OpenFile(lock, os.O_RDONLY, 0)
	if err != nil {
		return nil, false
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
		f.Close()
		return nil, false
	}
	if _, err := os.Stat(closing); err == nil {
		f.Close()
		return nil, false
	}
	return func() { f.Close() }, true
}

// noteLauncher names launcher (the pid@host of the tbx behind run key) for
// status and gc while the run lasts; the returned function forgets it.
func noteLauncher(key, launcher string) (forget func()) {
	if launcher == "" {
		return func() {}
	}
	f := filepath.Join(State, "launcher-"+key)
	_ = os.WriteFile(f, []byte(launcher), 0o644)
	return func() { _ = os.Remove(f) }
}

// startMain becomes the command of a throwaway container, `start SIZE
// MOUNTS -- ARGV...`: it checks that the host paths mounted are those tbx
// checked (MOUNTS), sizes the terminal (Podman and Engines before API 1.42
// size it only after the start), then execs the command in its own place,
// so that signals and the exit status are the command's; a command that
// cannot start exits 127 or 126 as with docker's init (Podman's catatonit
// exits 1).
func startMain(args []string) int {
	if len(args) < 4 || args[2] != "--" {
		fmt.Fprintln(os.Stderr, "tbx:", notInit)
		return 125
	}
	expect, err := helperspec.DecodeMounts(args[1])
	if err == nil {
		err = verifyMounts(expect)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "tbx: refusing to run: %v\n", err)
		return 125
	}
	setSize(args[0])
	argv := args[3:]
	path, err := exec.LookPath(argv[0])
	if err == nil {
		err = syscall.Exec(path, argv, os.Environ())
	}
	return startFailure(os.Stderr, argv[0], err)
}

// sparePID1 makes the process pid (a /proc name: a number, or "self") and
// its children likelier victims of the out-of-memory killer than PID 1,
// whose end would end every run in the container: a command that outgrows
// its memory limit is killed, and the container lives on. Raising the score
// needs no privilege; where it fails, nothing changes.
func sparePID1(pid string) {
	b, err := os.ReadFile("/proc/1/oom_score_adj")
	if err != nil {
		return
	}
	adj, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return
	}
	_ = os.WriteFile("/proc/"+pid+"/oom_score_adj", []byte(strconv.Itoa(min(adj+300, 1000))), 0)
}

// setSize gives the terminal on stdin the size ROWSxCOLS before the
// command starts, so that it never sees 0x0: some Engines set the size of
// an exec's terminal only after it has started.
func setSize(size string) {
	var rows, cols uint16
	if _, err := fmt.Sscanf(size, "%dx%d", &rows, &cols); err != nil || rows == 0 || cols == 0 || !isTerminal(os.Stdin) {
		return
	}
	_ = unix.IoctlSetWinsize(int(os.Stdin.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols})
}

// ranMain answers `ran TOKEN`: "yes" when the run TOKEN was taken (and its
// command exited 222), "no" when it was refused.
func ranMain(args []string) int {
	if len(args) != 1 || strings.ContainsAny(args[0], "/\\") {
		return 125
	}
	f := filepath.Join(State, "ran-"+args[0])
	if _, err := os.Stat(f); err != nil {
		fmt.Println("no")
		return 0
	}
	_ = os.Remove(f)
	fmt.Println("yes")
	return 0
}

// run starts argv as a throwaway container's command would start, and
// returns its exit code: 127 and 126 when it cannot start, 128+n when a
// signal killed it. Once it ends, every process it left is ended.
func run(token string, argv []string, as job) int {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: as.UID, Gid: as.GID, Groups: as.Groups}}
	if isTerminal(os.Stdin) {
		// The command owns the terminal: Ctrl-C reaches it, not the helper.
		cmd.SysProcAttr.Setpgid, cmd.SysProcAttr.Foreground = true, true
	}
	if err := cmd.Start(); err != nil {
		// A command that could not start may have been made the
		// terminal's foreground first: the helper, now in the background,
		// must still say why. Ignored before the start, the two signals
		// would stay ignored in the command, unlike a throwaway run's.
		signal.Ignore(syscall.SIGTTOU, syscall.SIGTTIN)
		return startFailure(os.Stderr, argv[0], err)
	}
	pidFile := filepath.Join(State, "run-"+token)
	_ = os.WriteFile(pidFile, []byte(strconv.Itoa(cmd.Process.Pid)), 0o644)
	defer os.Remove(pidFile)
	return (&command{pid: cmd.Process.Pid}).wait()
}

// startFailure says why the command did not start, in the words and with
// the exit codes of a throwaway run.
func startFailure(w io.Writer, name string, err error) int {
	var ne *notExecutable
	if errors.Is(err, exec.ErrNotFound) {
		// Not found as something to run: found, perhaps, as a file that
		// may not be run, on the PATH exec looked on.
		if _, lerr := lookPath(name, os.Environ()); errors.As(lerr, &ne) {
			err = lerr
		}
	}
	switch {
	case errors.As(err, &ne):
		// As a shell says of a file on PATH it may not run: 126, not 127.
		fmt.Fprintf(w, "tbx: %s\n", helperspec.Unrunnable(false, who.tool, who.image, ne.Error()))
		return 126
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, os.ErrNotExist):
		fmt.Fprintf(w, "tbx: %s\n", helperspec.Unrunnable(true, who.tool, who.image, fmt.Sprintf("exec: %q: %v", name, unwrapped(err))))
		return 127
	case errors.Is(err, os.ErrPermission), errors.Is(err, syscall.EISDIR):
		fmt.Fprintf(w, "tbx: %s\n", helperspec.Unrunnable(false, who.tool, who.image, fmt.Sprintf("exec: %q: %v", name, unwrapped(err))))
		return 126
	}
	fmt.Fprintf(w, "tbx: starting %s: %v\n", name, err)
	return 126
}

func unwrapped(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

// signalMain delivers signal N to the command of run TOKEN: `signal TOKEN N`.
func signalMain(args []string) int {
	if len(args) != 2 {
		return 125
	}
	n, err := strconv.Atoi(args[1])
	if err != nil {
		return 125
	}
	// A signal may come before the command has started: wait a little.
	var b []byte
	for i := 0; i < 100; i++ {
		if b, err = os.ReadFile(filepath.Join(State, "run-"+args[0])); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		return 1 // never started, or already done
	}
	pid, err := strconv.Atoi(string(b))
	if err != nil || syscall.Kill(pid, syscall.Signal(n)) != nil {
		return 1
	}
	return 0
}

// statusMain prints "busy" and the launchers (pid@host) of the runs in
// the container, or since when it has been idle (unix seconds).
func statusMain() int {
	f, err := os.OpenFile(lock, os.O_RDONLY, 0)
	if err != nil {
		return 1
	}
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		fmt.Println(strings.Join(append([]string{"busy"}, launchers()...), " "))
		return 0
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	b, _ := os.ReadFile(since)
	fmt.Println(string(b))
	return 0
}

// launchers lists the pid@host of the tbx behind each run in flight.
func launchers() []string {
	files, _ := filepath.Glob(filepath.Join(State, "launcher-*"))
	var out []string
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			out = append(out, string(b))
		}
	}
	return out
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd())
}
