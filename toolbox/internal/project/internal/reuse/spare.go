package reuse

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/tbx-dev/tbx/toolbox/internal/direct"
	"github.com/tbx-dev/tbx/toolbox/internal/helperspec"
	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/runner"
)

// A spare is a container made and started, before it is needed, with the
// exact shape of a tool's next throwaway run: its helper, PID 1, waits on
// its socket, serves one run, then stops, and the Engine removes it. A
// run that finds its spare starts at the speed of a warm one and is as
// throwaway as a container of its own; one that finds none, or finds it
// claimed by another run, runs in a throwaway container as before.

// ErrNoSpare says that a run found no spare of its shape to take.
var ErrNoSpare = errors.New("no spare")

// spareShape is the spare for a run of cfg and host.
func (r *Runner) spareShape(ctx context.Context, inv runner.Invocation, cfg *container.Config, host *container.HostConfig, sp SpareSpec, expect []helperspec.Mount) (*warmContainer, error) {
	if inv.Direct == "" {
		return nil, fmt.Errorf("%w: spares need the helper's socket on this host", ErrNoSpare)
	}
	img, err := r.image(ctx, cfg)
	if err != nil {
		return nil, err
	}
	spec := helperspec.Spec{Idle: sp.Idle.String(), User: img.user, Groups: host.GroupAdd, Expect: expect, Once: true, Inputs: sp.Inputs}
	return warmShape(inv, img.cfg, host, spec, sp.Helper)
}

// SpareSpec is what makes a tool's spare besides its run's shape: how long
// it waits to be claimed, the helper binary, and a digest of the inputs of
// the run as they are now.
type SpareSpec struct {
	Idle   time.Duration
	Helper string
	Inputs string
}

// RunSpare runs inv in the spare of its shape and returns the command's
// exit status; ErrNoSpare (wrapped) when there is none, or another run
// claimed it: nothing ran, and stdin is untouched.
func (r *Runner) RunSpare(ctx context.Context, inv runner.Invocation, sp SpareSpec) error {
	cfg, host, err := runner.Spec(inv)
	if err != nil {
		return err
	}
	expect, release, err := runner.HoldMounts(inv, host)
	if err != nil {
		return err
	}
	defer release()
	w, err := r.spareShape(ctx, inv, cfg, host, sp, expect)
	if err != nil {
		return err
	}
	ins, err := r.Engine.ContainerInspect(ctx, w.name)
	if err != nil || !ins.State.Running {
		return fmt.Errorf("%w of shape %s", ErrNoSpare, w.name)
	}
	in := r.Streams.In
	if in == nil {
		in = os.Stdin
	}
	err = r.runDirect(ctx, inv, cfg, in, w, running{id: ins.ID, pid: ins.State.Pid}, 0)
	if errors.Is(err, errNoSocket) || errors.Is(err, errRetry) {
		return fmt.Errorf("%w: %v", ErrNoSpare, err)
	}
	r.Debugf("run in the spare %s", w.name)
	return err
}

// Spare is a spare that serves: the host directory of its helper's
// socket, the helper's host pid, and the request a run of inv sends it.
type Spare struct {
	ID      string // the container's
	Socket  string
	Server  int
	Request direct.Request
}

// Retirer is what retiring warm containers takes of the Engine.
type Retirer interface {
	ContainerKill(ctx context.Context, id, signal string) error
	ContainerRemove(ctx context.Context, id string, options container.RemoveOptions) error
}

// Retire asks the warm container or spare id to take no new run and go
// once no run is in it (helperspec.Retire): a run in flight is never ended.
func Retire(ctx context.Context, e Retirer, id string) error {
	return e.ContainerKill(ctx, id, helperspec.Retire)
}

// RetireAll retires every running container of list but the one called
// except ("" for none) and removes those that never started or have
// stopped; it returns the ids of those it asked to retire.
func RetireAll(ctx context.Context, e Retirer, list []container.Summary, except string) []string {
	var asked []string
	for _, ct := range list {
		switch {
		case except != "" && firstName(ct.Names) == "/"+except:
		case ct.State == "running":
			if Retire(ctx, e, ct.ID) == nil {
				asked = append(asked, ct.ID)
			}
		case ct.State != "removing":
			_ = e.ContainerRemove(ctx, ct.ID, container.RemoveOptions{Force: true})
		}
	}
	return asked
}

// MakeSpare starts the spare of inv's shape, unless one runs, and returns
// once its helper serves (it has checked the mounts that tbx held); the
// project's spares of the tool in another shape, stale, are removed.
func (r *Runner) MakeSpare(ctx context.Context, inv runner.Invocation, sp SpareSpec) (Spare, error) {
	cfg, host, err := r.Prepare(ctx, inv)
	if err != nil {
		return Spare{}, err
	}
	expect, release, err := runner.HoldMounts(inv, host)
	if err != nil {
		return Spare{}, err
	}
	defer release()
	w, err := r.spareShape(ctx, inv, cfg, host, sp, expect)
	if err != nil {
		return Spare{}, err
	}
	r.retireStaleSpares(ctx, inv, w)
	sent := direct.Request{Argv: runner.CommandLine(cfg), Env: cfg.Env, Dir: cfg.WorkingDir, User: w.user, TTY: inv.TTY, Launcher: inv.Launcher}
	for attempt := 1; ; attempt++ {
		ct, err := r.ensureWarm(ctx, w.name, w.cfg, w.host)
		if err != nil {
			return Spare{}, err
		}
		// The helper listens once it has checked the mounts: until then,
		// what this process holds must stay open. A socket left by an
		// earlier container of this shape is served by no one, or by
		// another pid.
		wait := spareStartWait
		if !ct.fresh {
			wait = time.Second // another's: a ready spare serves at once
		}
		if serves(w.dir, ct.pid, wait) {
			return Spare{ID: ct.id, Socket: w.dir, Server: ct.pid, Request: sent}, nil
		}
		// A container of this name that does not serve is most often the
		// spare that the run just over claimed (its helper lets go of the
		// socket once claimed), on its way out: once the Engine has
		// removed it, the next is made.
		if ct.fresh || attempt == 3 || !r.waitGone(ctx, ct.id, spareGoneWait) {
			return Spare{}, fmt.Errorf("the spare %s does not serve in %s", w.name, w.dir)
		}
	}
}

// How long a spare's maker waits for a container it started to serve, and
// for a claimed one of the same name to be removed; a loaded machine
// needs seconds for either.
const (
	spareStartWait = 15 * time.Second
	spareGoneWait  = 15 * time.Second
)

// serves reports whether the helper of host pid serves the socket in dir
// within wait.
func serves(dir string, pid int, wait time.Duration) bool {
	for deadline := time.Now().Add(wait); ; time.Sleep(5 * time.Millisecond) {
		if servedBy(dir, pid) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// retireStaleSpares retires the spares of inv's tool, of this user and
// this project (its identity: a clone of the same name is another
// project), that are not of w's shape: made for an older recipe, lock,
// context, image or tbx. A spare that a run has claimed is left to end
// with its run: its helper answers Retire only while unclaimed.
func (r *Runner) retireStaleSpares(ctx context.Context, inv runner.Invocation, w *warmContainer) {
	f := labels.Owned(inv.Labels[labels.Owner], inv.Labels[labels.Root])
	f.Add("label", labels.Spare)
	f.Add("label", labels.Tool+"="+inv.Tool.Name)
	if inv.Labels[labels.Owner] == "" || inv.Labels[labels.Root] == "" {
		return // no identity to match by: leave every spare alone
	}
	list, err := r.Engine.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return
	}
	for _, id := range RetireAll(ctx, r.Engine, list, w.name) {
		r.waitGone(ctx, id, retireWait)
	}
}

// RetireSpare retires the spare id and waits, a moment, for it to be
// gone: a claimed one stays until its run ends, and is not waited for
// past that.
func (r *Runner) RetireSpare(ctx context.Context, id string) {
	if Retire(ctx, r.Engine, id) == nil {
		r.waitGone(ctx, id, retireWait)
	}
}

// retireWait is how long a maker waits for a stale spare it retired to
// be removed: a claimed one never is.
const retireWait = 3 * time.Second
