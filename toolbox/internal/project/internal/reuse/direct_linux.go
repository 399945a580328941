package reuse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/tbx-dev/tbx/toolbox/internal/direct"
	"github.com/tbx-dev/tbx/toolbox/internal/exit"
	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/runner"
	"github.com/tbx-dev/tbx/toolbox/internal/signals"
)

// runDirect runs inv through the helper's socket in dir, waiting up to
// wait for a helper that is starting, and returns the command's exit
// status; errNoSocket (wrapped, with the reason) when no helper takes the
// run, and errRetry when it refused it because its container is stopping.
// The helper must be ct's PID 1. The command gets pipes that tbx relays,
// or a terminal of the container's whose master tbx serves: the Engine is
// not on the path.
func (r *Runner) runDirect(ctx context.Context, inv runner.Invocation, cfg *container.Config, in io.Reader, w *warmContainer, ct running, wait time.Duration) error {
	dir := w.dir
	conn, err := dialWithin(dir, wait)
	if err != nil {
		return fmt.Errorf("%w: the helper's socket does not answer (%v)", errNoSocket, err)
	}
	if err := conn.CheckServer(ct.pid); err != nil {
		conn.Close()
		return r.serverMismatch(ctx, w, err)
	}
	req := direct.Request{Argv: runner.CommandLine(cfg), Env: cfg.Env, Dir: cfg.WorkingDir, User: w.user, TTY: inv.TTY, Launcher: inv.Launcher}
	router := r.Signals
	if router == nil {
		own, _ := signals.Start(context.Background())
		defer own.Stop()
		router = own
	}
	code, err := conn.Run(req, direct.Streams{In: in, Out: r.Streams.Out, Err: r.Streams.Err}, router)
	var refused *direct.RefusedError
	switch {
	case errors.As(err, &refused) && refused.Fatal && refused.Retry:
		r.Remove(ct.id)
		return errRetry // the container is spoiled, not the run
	case errors.As(err, &refused) && refused.Fatal:
		r.Remove(ct.id)
		return exit.Errorf(exit.Failed, "refusing to run: %s; the warm container is removed", refused.Reason)
	case errors.As(err, &refused) && refused.Retry:
		return errRetry
	case errors.As(err, &refused):
		return fmt.Errorf("%w: %v", errNoSocket, err)
	case err != nil:
		return exit.Errorf(exit.Failed, "%v", err) // not started, or it may have: never again
	}
	r.Debugf("warm run through the helper's socket in %s", dir) // after the run's output: the streams may be one
	if r.OnDirect != nil {
		r.OnDirect(dir, ct.pid, req)
	}
	if code != 0 {
		return exit.Status(code)
	}
	return nil
}

// serverMismatch is the outcome of a socket served by another process
// than the helper tbx found: a new attempt when a new container of the
// same shape took the old one's place since (its helper serves), else a
// refused run, nothing sent.
func (r *Runner) serverMismatch(ctx context.Context, w *warmContainer, err error) error {
	var se *direct.ServerError
	if errors.As(err, &se) {
		if ins, ierr := r.Engine.ContainerInspect(ctx, w.name); ierr == nil && ins.State.Pid == se.Server {
			return errRetry
		}
	}
	return exit.Errorf(exit.Failed, "refusing to run: %v", err)
}

// servedBy reports whether the helper of host pid serves the socket in
// dir: it listens once it has checked the container's mounts. The
// connection sends no request; the helper drops it.
func servedBy(dir string, pid int) bool {
	conn, err := direct.Dial(dir)
	if err != nil {
		return false
	}
	defer conn.Close()
	return conn.CheckServer(pid) == nil
}

// dialWithin connects to the socket in dir, trying for up to wait.
func dialWithin(dir string, wait time.Duration) (*direct.Conn, error) {
	deadline := time.Now().Add(wait)
	for {
		conn, err := direct.Dial(dir)
		if err == nil || time.Now().After(deadline) {
			return conn, err
		}
		time.Sleep(2 * time.Millisecond)
	}
}
