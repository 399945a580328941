// Package reuse is the host's side of the containers tbx reuses: warm
// containers, which serve runs until their idle time, and spares, made
// before a run asks and serving one run: each one's shape and start, and
// each run in it, through its helper's socket (the direct path) or an
// Engine exec, with the streams, terminal, signals and exit status of a
// throwaway run. What runs inside is package helper.
package reuse

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/tbx-dev/tbx/toolbox/internal/direct"
	"github.com/tbx-dev/tbx/toolbox/internal/exit"
	"github.com/tbx-dev/tbx/toolbox/internal/helperspec"
	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/runner"
	"github.com/tbx-dev/tbx/toolbox/internal/statedir"
)

// Runner runs invocations in a tool's warm container: the host's side of
// warm containers (their shape, their start, the run through the helper's
// socket or an Engine exec), on a throwaway runner's streams, signals and
// Engine.
type Runner struct {
	*runner.Runner
	Engine Engine // the throwaway runner's, with what warm runs ask more
	// OnDirect, when set, is told of each run the helper's socket in
	// socket served, with the helper's pid and the request it was sent.
	OnDirect func(socket string, server int, sent direct.Request)
}

// errRetry says that a run met a warm container on its way out: the run
// goes to a new one.
var errRetry = errors.New("the warm container was stopping")

// RunWarm runs inv in the tool's warm container, starting one that stops
// itself after idle with no run in it: through the helper's socket where
// the container has one (the direct path), else through an Engine exec.
// helper is the host path of a tbx binary, mounted into the container.
func (r *Runner) RunWarm(ctx context.Context, inv runner.Invocation, idle time.Duration, helperBin string) error {
	cfg, host, err := r.Prepare(ctx, inv)
	if err != nil {
		return err
	}
	expect, release, err := runner.HoldMounts(inv, host)
	if err != nil {
		return err
	}
	defer release()
	img, err := r.image(ctx, cfg)
	if err != nil {
		return err
	}
	w, err := warmShape(inv, img.cfg, host, helperspec.Spec{Idle: idle.String(), User: img.user, Groups: host.GroupAdd, Expect: expect}, helperBin)
	if err != nil {
		return err
	}
	r.DescribeChecked(expect)
	stdin := newReplay(r.Streams.In)
	for attempt := 0; ; attempt++ {
		err := r.warmAttempt(ctx, inv, cfg, w, stdin)
		if !errors.Is(err, errRetry) || attempt == 3 {
			return err
		}
	}
}

// image is what a warm container of cfg runs: the image its tag names
// now, by its ID, so that a tag moved since (a build, a pull, a `docker
// tag`) gives a container of another shape; and the user the tool's
// commands run as, named as the Engine takes it: the warm container's
// helper runs as root, so every run names its user, the image's own too.
func (r *Runner) image(ctx context.Context, cfg *container.Config) (warmImage, error) {
	img, err := r.Engine.ImageInspect(ctx, cfg.Image)
	if err != nil {
		return warmImage{}, fmt.Errorf("reading image %s: %w", cfg.Image, err)
	}
	c := *cfg
	c.Image = img.ID
	out := warmImage{cfg: &c, user: cfg.User}
	if out.user == "" {
		out.user = "0"
		if img.Config != nil && img.Config.User != "" {
			out.user = img.Config.User
		}
	}
	return out, nil
}

// warmImage is a run's configuration with its image by ID, and its user.
type warmImage struct {
	cfg  *container.Config
	user string
}

// warmAttempt runs inv once in the warm container w, or returns errRetry
// when it met the container on its way out.
func (r *Runner) warmAttempt(ctx context.Context, inv runner.Invocation, cfg *container.Config, w *warmContainer, stdin *replay) error {
	ct, err := r.ensureWarm(ctx, w.name, w.cfg, w.host)
	if err != nil {
		return err
	}
	why := inv.NoDirect
	if w.dir != "" {
		if done, err := r.tryDirect(ctx, inv, cfg, w, ct, stdin); done {
			return err
		} else if err != nil {
			why = err.Error()
		}
	}
	r.Debugf("warm run through an Engine exec: %s", why)
	in, err := stdin.reader()
	if err != nil {
		return exit.Errorf(exit.Failed, "%v", err)
	}
	err = r.execIn(ctx, ct.id, inv, cfg, in)
	if errors.Is(err, errRetry) {
		r.waitGone(ctx, ct.id, 5*time.Second) // it is stopping: the next attempt makes a new one
	}
	return err
}

// tryDirect runs inv through the socket of the helper of ct, waiting up to
// a second for one that is starting. done is true when that settled the
// run (err is then its outcome, errRetry included, after waiting for the
// stopping container to be gone); otherwise err says why the run goes to
// an exec (nil when stdin was already taken by an exec attempt).
func (r *Runner) tryDirect(ctx context.Context, inv runner.Invocation, cfg *container.Config, w *warmContainer, ct running, stdin *replay) (done bool, err error) {
	in, ok := r.directStdin(stdin)
	if !ok {
		return false, nil
	}
	wait := time.Duration(0)
	if ct.fresh {
		wait = time.Second // a new helper listens within milliseconds of its start
	}
	err = r.runDirect(ctx, inv, cfg, in, w, ct, wait)
	if errors.Is(err, errRetry) {
		r.waitGone(ctx, ct.id, 5*time.Second)
	}
	return !errors.Is(err, errNoSocket), err
}

// directStdin is the stdin of a direct attempt: the caller's file itself,
// while no attempt has read from it, or else the replay of what was read,
// which a pipe carries.
func (r *Runner) directStdin(stdin *replay) (io.Reader, bool) {
	if f, ok := r.Streams.In.(*os.File); ok {
		return f, !stdin.used()
	}
	in, err := stdin.reader()
	return in, err == nil
}

// warmContainer is the shape of a warm container: its name, its
// configuration, the user its commands run as, and the host directory of
// its helper's socket ("" when it has none).
type warmContainer struct {
	name string
	cfg  *container.Config
	host *container.HostConfig
	user string
	dir  string
}

// warmShape is the warm container for a throwaway container's cfg and
// host: its name, made of the project, the tool and a hash of everything
// that shapes the container (the image, the identity, mounts, network,
// limits, the helper, its spec: the idle time, the user, whether it serves
// the direct path and what it checks the mounts to be), and its
// configuration. Its helper runs as root, and its socket's directory is
// mounted inside a directory of root's alone: no command can reach it.
func warmShape(inv runner.Invocation, cfg *container.Config, host *container.HostConfig, spec helperspec.Spec, helperBin string) (*warmContainer, error) {
	fi, err := os.Stat(helperBin)
	if err != nil {
		return nil, fmt.Errorf("finding the tbx binary for a warm run: %w", err)
	}
	if inv.Direct != "" {
		owner := uint32(inv.Identity.UID)
		spec.Owner = &owner
	}
	w := &container.Config{
		Image:      cfg.Image,
		User:       "0:0",
		Entrypoint: helperspec.Argv("init", spec.Encode()),
		Env:        []string{helperspec.ToolEnv(inv.Tool.Name, inv.Image)}, // for its words; no command sees it
		WorkingDir: "/",
	}
	h := *host
	h.AutoRemove = true
	h.Init = new(bool) // the helper is PID 1, and reaps
	h.ConsoleSize = [2]uint{}
	h.Mounts = append(append([]mount.Mount{}, host.Mounts...), runner.Bind(helperBin, helperspec.BinPath, true))
	h.Tmpfs = map[string]string{
		helperspec.State:  "rw,nosuid,nodev,size=1m,mode=0755", // root's to write: no command decides a later run
		helperspec.Sealed: "rw,nosuid,nodev,noexec,size=64k,mode=0700",
	}
	for k, v := range host.Tmpfs {
		h.Tmpfs[k] = v
	}
	shape, err := json.Marshal(struct {
		Config     *container.Config
		Host       *container.HostConfig
		Helper     string
		Size, Time int64
	}{w, &h, helperBin, fi.Size(), fi.ModTime().UnixNano()})
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(shape)
	key := hex.EncodeToString(sum[:])[:16]
	l := map[string]string{labels.Warm: key, labels.Idle: spec.Idle}
	kind := "tbx-warm-"
	if spec.Once {
		l[labels.Spare], kind = "1", "tbx-spare-"
	}
	w.Labels = inv.LabelsWith(l)
	out := &warmContainer{name: kind + inv.Key + "-" + inv.Tool.Name + "-" + key, cfg: w, host: &h, user: spec.User}
	if inv.Direct != "" {
		out.dir = filepath.Join(inv.Direct, key)
		h.Mounts = append(h.Mounts, runner.Bind(out.dir, helperspec.Direct, false))
	}
	return out, nil
}

// running is a running warm container: its id, the host pid of its
// helper (PID 1), and whether this call started it.
type running struct {
	id    string
	pid   int
	fresh bool
}

// ensureWarm returns the running warm container called name, starting it
// when there is none. Two tbx that both find none make one between them:
// the Engine gives the name to one, and the other uses it.
func (r *Runner) ensureWarm(ctx context.Context, name string, cfg *container.Config, host *container.HostConfig) (running, error) {
	deadline := time.Now().Add(30 * time.Second)
	fresh := false
	for time.Now().Before(deadline) {
		ins, err := r.Engine.ContainerInspect(ctx, name)
		switch {
		case err == nil && ins.State.Running && !ins.State.Restarting:
			return running{id: ins.ID, pid: ins.State.Pid, fresh: fresh}, nil
		case err == nil && ins.State.Status == "created":
			// Another tbx made it and is starting it; starting twice is harmless.
			_ = r.Engine.ContainerStart(ctx, ins.ID, container.StartOptions{})
			fresh = true
		case err == nil:
			// Stopped at its idle end, and being removed.
			r.waitGone(ctx, ins.ID, 5*time.Second)
		case cerrdefs.IsNotFound(err) || gone(err):
			_, err := r.createWarm(ctx, name, cfg, host)
			if err != nil && !nameTaken(err) {
				return running{}, err
			}
			fresh = true // inspected again for the helper's pid
		default:
			return running{}, fmt.Errorf("finding the warm container %s: %w", name, err)
		}
		if err := ctx.Err(); err != nil {
			return running{}, err
		}
		time.Sleep(10 * time.Millisecond)
	}
	return running{}, fmt.Errorf("the warm container %s did not start in 30s; `tbx gc --warm` removes it", name)
}

func (r *Runner) createWarm(ctx context.Context, name string, cfg *container.Config, host *container.HostConfig) (string, error) {
	helperBin := ""
	for _, m := range host.Mounts {
		switch m.Target {
		case helperspec.BinPath:
			helperBin = m.Source
		case helperspec.Direct:
			if err := statedir.Mkdir(m.Source); err != nil {
				return "", fmt.Errorf("making the directory of the warm helper's socket: %w", err)
			}
		}
	}
	created, err := r.Engine.ContainerCreate(ctx, cfg, host, nil, nil, name)
	if err != nil {
		if nameTaken(err) {
			return "", err
		}
		return "", fmt.Errorf("creating the warm container %s: %w", name, err)
	}
	if err := r.Engine.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		r.Remove(created.ID)
		return "", fmt.Errorf("starting the warm container %s (its helper, %s, must run in the image): %w", name, helperBin, err)
	}
	return created.ID, nil
}

// gone reports whether a look-up failed because the container went while
// it was asked for: Podman then says so in words, not as not-found.
func gone(err error) bool {
	return strings.Contains(err.Error(), "no such container")
}

// nameTaken reports whether a create failed because another tbx made the
// container of that name first: a conflict on Docker, a plain error whose
// words say so on Podman.
func nameTaken(err error) bool {
	return cerrdefs.IsConflict(err) || strings.Contains(err.Error(), "is already in use")
}

// waitGone waits, up to limit, until the Engine has removed container id,
// and reports whether it has.
func (r *Runner) waitGone(ctx context.Context, id string, limit time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	statusC, errC := r.Engine.ContainerWait(ctx, id, container.WaitConditionRemoved)
	select {
	case <-statusC:
		return true
	case err := <-errC:
		return err != nil && (cerrdefs.IsNotFound(err) || gone(err))
	}
}

// execIn runs the invocation's command in the warm container id through
// the helper, with the streams, terminal, signals and exit status of a
// throwaway run.
func (r *Runner) execIn(ctx context.Context, id string, inv runner.Invocation, cfg *container.Config, in io.Reader) error {
	token := newToken()
	opts := r.execOptions(inv, cfg, token)
	created, err := r.Engine.ContainerExecCreate(ctx, id, opts)
	if cerrdefs.IsConflict(err) || cerrdefs.IsNotFound(err) {
		return errRetry
	}
	if err != nil {
		return fmt.Errorf("running in the warm container: %w", err)
	}
	// Attaching starts the command: the terminal and the signals must be
	// the command's before that, as docker's start sequence has them.
	release, err := r.HoldSignals()
	if err != nil {
		return err // a signal came before the start: the command never runs
	}
	defer release()
	if inv.TTY {
		restore, err := runner.RawTerminal(r.Streams.In)
		if err != nil {
			return err
		}
		defer restore()
	}
	signal := r.signaller(ctx, id, token)
	hijack, err := r.Engine.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{Tty: inv.TTY, ConsoleSize: opts.ConsoleSize})
	if cerrdefs.IsConflict(err) || cerrdefs.IsNotFound(err) {
		return errRetry // it stopped between the exec's creation and its start
	}
	if err != nil {
		return fmt.Errorf("attaching to the warm run: %w", err)
	}
	defer hijack.Close()
	r.Signals.Deliver(signal)
	if inv.TTY {
		stopResize := runner.MonitorSize(r.Streams.Out, func(o container.ResizeOptions) error {
			return r.Engine.ContainerExecResize(ctx, created.ID, o)
		})
		defer stopResize()
	}
	<-r.Pump(hijack, in, r.Streams.Out, r.Streams.Err, inv.TTY, signal)
	return r.execStatus(context.WithoutCancel(ctx), id, created.ID, token)
}

// execOptions is the exec of one run: the command as the throwaway
// container would run it, behind the helper, with the run's own
// environment, working directory and terminal. The helper runs as root,
// as a direct run's reaper does, and starts the command as the user PID 1
// resolved from its spec.
func (r *Runner) execOptions(inv runner.Invocation, cfg *container.Config, token string) container.ExecOptions {
	opts := container.ExecOptions{
		User: "0", Tty: inv.TTY, Env: cfg.Env,
		AttachStdin: true, AttachStdout: true, AttachStderr: true,
	}
	var cs [2]uint
	if inv.TTY {
		cs = runner.ConsoleSize(r.Streams.Out)
		opts.ConsoleSize = &cs
	}
	// The helper sizes the terminal before the command starts too: Engines
	// before API 1.42, and Podman, ignore the size given at create.
	opts.Cmd = helperspec.Argv("exec", append([]string{token, inv.Launcher, runner.SizeArg(inv.TTY, cs), cfg.WorkingDir, "--"}, runner.CommandLine(cfg)...)...)
	return opts
}

// execStatus waits for the exec to be over and maps its exit code. The
// helper refuses a run that comes too late with helperspec.Retry; a command may
// exit with that code too, so for it alone the helper is asked, out of
// band, whether it took the run: a command is never run twice.
func (r *Runner) execStatus(ctx context.Context, id, execID, token string) error {
	for {
		ins, err := r.Engine.ContainerExecInspect(ctx, execID)
		if err != nil {
			return fmt.Errorf("reading the warm run's exit code: %w", err)
		}
		if !ins.Running {
			switch ins.ExitCode {
			case 0:
				return nil
			case helperspec.Retry:
				if ran, err := helperOutput(ctx, r.Engine, id, "ran", token); err != nil || ran != "yes" {
					return errRetry // refused, and the container is stopping or gone
				}
			}
			return exit.Status(ins.ExitCode)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// signaller delivers a signal to the run's command with a second exec of
// the helper: the Engine has no call to signal an exec.
func (r *Runner) signaller(ctx context.Context, id, token string) func(syscall.Signal) {
	ctx = context.WithoutCancel(ctx)
	return func(sig syscall.Signal) {
		created, err := r.Engine.ContainerExecCreate(ctx, id, container.ExecOptions{
			User: "0", Cmd: helperspec.Argv("signal", token, strconv.Itoa(int(sig))),
		})
		if err == nil {
			_ = r.Engine.ContainerExecStart(ctx, created.ID, container.ExecStartOptions{Detach: true})
		}
	}
}

func newToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// WarmContainer is a warm container as `tbx ls` shows it.
type WarmContainer struct {
	ID, Project, Tool, Name string
	Busy                    bool          // a run is in it
	Left                    time.Duration // idle time left before it stops, when not busy
	Spare                   bool          // a spare: it serves one run, then goes
}

// ListWarm lists the running warm containers that match f and asks each
// one's helper whether a run is in it, or how long it has been idle.
func ListWarm(ctx context.Context, e Lister, f filters.Args) ([]WarmContainer, error) {
	f = f.Clone()
	f.Add("label", labels.Warm)
	list, err := e.ContainerList(ctx, container.ListOptions{Filters: f})
	if err != nil {
		return nil, fmt.Errorf("listing warm containers: %w", err)
	}
	var out []WarmContainer
	for _, ct := range list {
		w := WarmContainer{ID: ct.ID, Project: ct.Labels[labels.Project], Tool: ct.Labels[labels.Tool], Name: strings.TrimPrefix(firstName(ct.Names), "/"), Spare: ct.Labels[labels.Spare] != ""}
		status, err := helperOutput(ctx, e, ct.ID, "status")
		if err != nil {
			continue // stopping
		}
		idle, _ := time.ParseDuration(ct.Labels[labels.Idle])
		if since, err := strconv.ParseInt(status, 10, 64); err == nil {
			w.Left = max(0, idle-time.Since(time.Unix(since, 0))).Truncate(time.Second)
		} else {
			w.Busy = true
		}
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Tool < out[j].Tool })
	return out, nil
}

// helperOutput runs the helper in mode, with args, in container id and
// returns what it printed.
func helperOutput(ctx context.Context, e Asker, id, mode string, args ...string) (string, error) {
	created, err := e.ContainerExecCreate(ctx, id, container.ExecOptions{
		User: "0", AttachStdout: true, AttachStderr: true, Cmd: helperspec.Argv(mode, args...),
	})
	if err != nil {
		return "", err
	}
	h, err := e.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{})
	if err != nil {
		return "", err
	}
	defer h.Close()
	var out strings.Builder
	if _, err := stdcopy.StdCopy(&out, io.Discard, h.Reader); err != nil {
		return "", err
	}
	return strings.TrimSpace(out.String()), nil
}

func firstName(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// WarmRuns says whether the warm container id has runs in it, as its
// helper says, and the launchers (pid@host) of those runs; a container
// whose helper does not answer has none.
func WarmRuns(ctx context.Context, e Asker, id string) (busy bool, launchers []string) {
	status, err := helperOutput(ctx, e, id, "status")
	if err != nil {
		return false, nil
	}
	fields := strings.Fields(status)
	if len(fields) == 0 || fields[0] != "busy" {
		return false, nil
	}
	return true, fields[1:]
}
