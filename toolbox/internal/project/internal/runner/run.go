package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/versions"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/tbx-dev/tbx/toolbox/internal/exit"
	"github.com/tbx-dev/tbx/toolbox/internal/helperspec"
)

// Streams are the caller's standard streams; a TTY is used when In and Out
// are both terminals.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// Runner runs invocations on an Engine.
type Runner struct {
	Engine  Engine
	Streams Streams
	Debug   io.Writer    // when set, gets what the container is made of (never env values)
	Signals SignalRouter // the process's signals; nil routes them itself
	// Starter is the host path of a static helper that starts a throwaway
	// container's command: it checks the mounts first, and sizes the
	// terminal for Engines that need it (see StarterNeeded); "" lets the
	// Engine start it, unchecked.
	Starter string
}

// StarterNeeded reports whether an Engine speaking API version api needs
// the helper to start throwaway commands: before API 1.42 (Docker 20.10,
// and Podman, which speaks 1.41) the Engine sizes a terminal only after the
// command has started, and Podman's init (catatonit) exits 1 for a command
// it cannot start, where docker's exits 127 or 126.
func StarterNeeded(api string) bool { return versions.LessThan(api, "1.42") }

// Run runs inv in a throwaway container and returns its exit status as an
// exit.Status, or an error with tbx's own exit code.
func (r *Runner) Run(ctx context.Context, inv Invocation) error {
	cfg, host, err := r.Prepare(ctx, inv)
	if err != nil {
		return err
	}
	if inv.TTY {
		host.ConsoleSize = ConsoleSize(r.Streams.Out)
	}
	expect, release, err := HoldMounts(inv, host)
	if err != nil {
		return err
	}
	defer release()
	if r.Starter != "" {
		r.startWithHelper(inv, cfg, host, expect)
	}
	created, err := r.Engine.ContainerCreate(ctx, cfg, host, nil, nil, ThrowawayName(inv))
	if err != nil {
		return createError(inv.Tool.Name, err)
	}
	return r.attachAndStart(ctx, created.ID, inv, *host.Init, CommandLine(cfg)[0])
}

// startWithHelper makes the helper, mounted read-only, the container's
// command: it checks that the mounts in expect are what tbx held, sizes
// the terminal, then execs the command in its place.
func (r *Runner) startWithHelper(inv Invocation, cfg *container.Config, host *container.HostConfig, expect []helperspec.Mount) {
	argv := CommandLine(cfg)
	cfg.Env = append(cfg.Env, helperspec.ToolEnv(inv.Tool.Name, inv.Image)) // for its words; the command does not see it
	cfg.Entrypoint = helperspec.Argv("start", SizeArg(cfg.Tty, host.ConsoleSize), helperspec.EncodeMounts(expect), "--")
	cfg.Cmd = argv
	host.Mounts = append(host.Mounts, Bind(r.Starter, helperspec.BinPath, true))
	r.Debugf("the helper %s starts the command: it checks the mounts, and sizes the terminal before the start", r.Starter)
	r.DescribeChecked(expect)
}

// Debugf says, under --debug, what a run is made of.
func (r *Runner) Debugf(format string, args ...any) {
	if r.Debug != nil {
		fmt.Fprintf(r.Debug, "tbx: debug: "+format+"\n", args...)
	}
}

// CommandLine is what the container's configuration runs: its entrypoint
// (unless the empty one, which runs the command as named) and its command.
func CommandLine(cfg *container.Config) []string {
	if len(cfg.Entrypoint) > 0 && cfg.Entrypoint[0] != "" {
		return append(append([]string{}, cfg.Entrypoint...), cfg.Cmd...)
	}
	return cfg.Cmd
}

// SizeArg is the terminal size the helper gives a command before it
// starts, ROWSxCOLS, or "-" without a terminal.
func SizeArg(tty bool, size [2]uint) string {
	if !tty {
		return "-"
	}
	return fmt.Sprintf("%dx%d", size[0], size[1])
}

// createError says what to do when the Engine cannot make the container:
// Podman without catatonit cannot give it an init process.
func createError(tool string, err error) error {
	if msg := err.Error(); strings.Contains(msg, "container-init binary not found") || strings.Contains(msg, "lookup init binary") {
		return fmt.Errorf("tool %s runs with an init process, and the Engine has none (Podman needs catatonit on its host): install catatonit there, or set init = false for the tool in the recipe", tool)
	}
	return fmt.Errorf("creating the container for %s: %w", tool, err)
}

// Prepare is what every run does before its container: the container's
// configuration, said under --debug, and the recipe's named volumes.
func (r *Runner) Prepare(ctx context.Context, inv Invocation) (*container.Config, *container.HostConfig, error) {
	cfg, host, err := Spec(inv)
	if err != nil {
		return nil, nil, err
	}
	if r.Debug != nil {
		describe(r.Debug, cfg, host)
	}
	if err := r.volumes(ctx, inv, host); err != nil {
		return nil, nil, err
	}
	return cfg, host, nil
}

// volumes creates the recipe's named volumes with tbx's labels, so that they
// can be found again (the Engine would otherwise make them unlabelled).
func (r *Runner) volumes(ctx context.Context, inv Invocation, host *container.HostConfig) error {
	for _, m := range host.Mounts {
		if m.Type != mount.TypeVolume {
			continue
		}
		_, err := r.Engine.VolumeCreate(ctx, volume.CreateOptions{Name: m.Source, Labels: inv.LabelsWith(nil)})
		if err != nil {
			return fmt.Errorf("creating volume %s: %w", m.Source, err)
		}
	}
	return nil
}

// attachAndStart follows docker's own sequence: attach and wait before start
// so that no output and no exit is missed.
func (r *Runner) attachAndStart(ctx context.Context, id string, inv Invocation, withInit bool, command string) error {
	tty := inv.TTY
	hijack, err := r.Engine.ContainerAttach(ctx, id, container.AttachOptions{Stream: true, Stdin: true, Stdout: true, Stderr: true})
	if err != nil {
		r.Remove(id)
		return fmt.Errorf("attaching to the container: %w", err)
	}
	defer hijack.Close()
	exited := r.waitExit(ctx, id)

	release, err := r.HoldSignals()
	if err != nil {
		r.Remove(id) // a signal came before the start: the command never runs
		return err
	}
	defer release()
	if tty {
		restore, err := RawTerminal(r.Streams.In)
		if err != nil {
			r.Remove(id)
			return err
		}
		defer restore()
	}
	if err := r.Engine.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		r.Remove(id)
		return startError(inv, err)
	}
	kill := killer(ctx, r.Engine, id, withInit)
	r.Signals.Deliver(kill)
	if tty {
		stopResize := MonitorSize(r.Streams.Out, func(o container.ResizeOptions) error {
			return r.Engine.ContainerResize(ctx, id, o)
		})
		defer stopResize()
	}
	out, errw := r.Streams.Out, r.Streams.Err
	var init *initLine
	if withInit && r.Starter == "" { // the Engine's init starts the command
		if tty {
			init = &initLine{w: out, command: command, tool: inv.Tool.Name, image: inv.Image}
			out = init
		} else {
			init = &initLine{w: errw, command: command, tool: inv.Tool.Name, image: inv.Image}
			errw = init
		}
	}
	<-r.Pump(hijack, r.Streams.In, out, errw, tty, kill)
	if init != nil {
		return init.finish(exited())
	}
	return exited()
}

// waitExit waits, from before the start, for the command's exit and then
// for the container's removal, so that tbx returns with nothing left. The
// status is the exit's: Podman before 4.6 answers the wait for the removal
// of an auto-removed container with 0, whatever the command returned.
func (r *Runner) waitExit(ctx context.Context, id string) func() error {
	exitC, exitErrC := r.Engine.ContainerWait(ctx, id, container.WaitConditionNextExit)
	goneC, goneErrC := r.Engine.ContainerWait(ctx, id, container.WaitConditionRemoved)
	return func() error {
		status := waitStatus(exitC, exitErrC)
		select {
		case <-goneC:
		case <-goneErrC:
		}
		return status
	}
}

// Pump copies in to the command's stdin and its stdout and stderr to out
// and errw; the returned channel closes when all output is delivered. When
// the caller's reader goes away, the command gets SIGPIPE through kill.
func (r *Runner) Pump(h types.HijackedResponse, in io.Reader, out, errw io.Writer, tty bool, kill func(syscall.Signal)) <-chan struct{} {
	go func() {
		_, _ = io.Copy(h.Conn, in)
		_ = h.CloseWrite() // EOF reaches the container's stdin
	}()
	done := make(chan struct{})
	go func() {
		defer close(done)
		var err error
		if tty {
			_, err = io.Copy(out, h.Reader)
		} else {
			_, err = stdcopy.StdCopy(out, errw, h.Reader)
		}
		if errors.Is(err, syscall.EPIPE) {
			// Our reader went away: the command meets a broken pipe too.
			kill(syscall.SIGPIPE)
			_, _ = io.Copy(io.Discard, h.Reader)
		}
	}()
	return done
}

func waitStatus(statusC <-chan container.WaitResponse, errC <-chan error) error {
	select {
	case st := <-statusC:
		if st.Error != nil && st.Error.Message != "" {
			return fmt.Errorf("waiting for the container: %s", st.Error.Message)
		}
		if st.StatusCode == 0 {
			return nil
		}
		return exit.Status(st.StatusCode)
	case err := <-errC:
		return fmt.Errorf("waiting for the container: %w", err)
	}
}

// startError maps the runtime's complaint to docker's exit codes: 127 when
// the command does not exist, 126 when it cannot be run.
func startError(inv Invocation, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "executable file not found"), strings.Contains(msg, "no such file or directory"):
		return exit.Errorf(exit.NotFound, "%s", helperspec.Unrunnable(true, inv.Tool.Name, inv.Image, lastClause(msg)))
	case strings.Contains(msg, "permission denied"), strings.Contains(msg, "is a directory"):
		return exit.Errorf(exit.CannotInvoke, "%s", helperspec.Unrunnable(false, inv.Tool.Name, inv.Image, lastClause(msg)))
	}
	return fmt.Errorf("starting the container: %w", err)
}

func lastClause(msg string) string {
	if i := strings.LastIndex(msg, ": exec: "); i >= 0 {
		return strings.TrimSpace(msg[i+2:])
	}
	return msg
}

// Remove cleans up a container that never ran.
func (r *Runner) Remove(id string) {
	_ = r.Engine.ContainerRemove(context.Background(), id, container.RemoveOptions{Force: true})
}

// describe prints the container's shape for --debug: variable names only,
// since values may be secrets.
func describe(w io.Writer, cfg *container.Config, host *container.HostConfig) {
	fmt.Fprintf(w, "tbx: debug: image %s, user %q, workdir %s, tty %v, init %v\n", cfg.Image, cfg.User, cfg.WorkingDir, cfg.Tty, *host.Init)
	if host.UsernsMode != "" {
		fmt.Fprintf(w, "tbx: debug: user namespace %s\n", host.UsernsMode)
	}
	fmt.Fprintf(w, "tbx: debug: command %q, entrypoint %q\n", cfg.Cmd, cfg.Entrypoint)
	fmt.Fprintf(w, "tbx: debug: env names %s\n", strings.Join(EnvNames(cfg.Env), " "))
	for _, m := range host.Mounts {
		fmt.Fprintf(w, "tbx: debug: mount %s %s -> %s (read-only %v)\n", m.Type, m.Source, m.Target, m.ReadOnly)
	}
}

// ThrowawayName names a throwaway container for its project and tool, as
// warm containers and spares are named (`docker ps` says whose it is):
// tbx-run-PROJECT-ID-TOOL-RANDOM, the random part making each run's its own.
func ThrowawayName(inv Invocation) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand does not fail
	return "tbx-run-" + inv.Key + "-" + inv.Tool.Name + "-" + hex.EncodeToString(b)
}
