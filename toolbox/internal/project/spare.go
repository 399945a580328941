package project

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/acquire"
	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/reuse"
	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/runner"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// DefaultSpare is how long a spare waits to be claimed before it goes.
const DefaultSpare = 10 * time.Minute

// spareIdle is how long tool's spare waits to be claimed: TBX_SPARE, else
// the recipe's spare, else DefaultSpare, or 0 (no spares) on a CI agent,
// whose jobs rarely run a tool twice and whose memory other jobs share.
func spareIdle(s Settings, t *recipe.Tool) time.Duration {
	switch {
	case s.Spare != nil:
		return *s.Spare
	case t.Run.Spare != nil:
		return *t.Run.Spare
	case s.CI:
		return 0
	}
	return DefaultSpare
}

// spareFor is the spare a throwaway run of req takes, and whether it has
// one: a recipe command (not --tool, not a shell), on an Engine whose
// helper's socket is on this host, with spares on, whose inputs can all be
// stamped.
func (p *Project) spareFor(tool *recipe.Tool, req RunRequest, inv runner.Invocation) (reuse.SpareSpec, bool) {
	sp, ok := p.spareSpec(tool)
	return sp, ok && inv.Direct != "" && p.settings.MakeSpare != nil && len(req.Args) > 0 && req.Tool == "" && len(req.Entrypoint) == 0
}

// spareSpec is tool's spare as the project is now, and whether it has one.
func (p *Project) spareSpec(tool *recipe.Tool) (reuse.SpareSpec, bool) {
	idle := spareIdle(p.settings, tool)
	if idle <= 0 || p.settings.Helper.Path == "" {
		return reuse.SpareSpec{}, false
	}
	in, ok := p.inputs(tool)
	if !ok {
		return reuse.SpareSpec{}, false
	}
	return reuse.SpareSpec{Idle: idle, Helper: p.settings.Helper.Path, Inputs: in.spareDigest()}, true
}

// MakeSpare makes the spare for the next run of command, a command of
// tool, with or without a terminal, and remembers the call's route so that
// tbx's front takes it at once; since is when the run that asked for it
// ended: a gc or untrust after that wins, and the spare goes. It builds and pulls nothing: a tool whose
// image is not ready gets no spare.
func (p *Project) MakeSpare(ctx context.Context, toolName, command string, tty bool, since time.Time) error {
	tools, err := p.Tools([]string{toolName})
	if err != nil {
		return err
	}
	tool := tools[0]
	sp, ok := p.spareSpec(tool)
	if !ok {
		return nil
	}
	sts, err := p.manager.Inspect(ctx, tools)
	if err != nil {
		return err
	}
	if sts[0].State != acquire.Ready {
		return errors.New("the tool's image is not ready")
	}
	req := RunRequest{Args: []string{command}}
	inv, err := p.invocation(ctx, tool, sts[0].Ref, req, tty)
	if err != nil {
		return err
	}
	rn := &runner.Runner{Engine: p.engine, Streams: runner.Streams{Out: io.Discard, Err: io.Discard}}
	warm := &reuse.Runner{Runner: rn, Engine: p.engine}
	made, err := warm.MakeSpare(ctx, inv, sp)
	if err != nil {
		return err
	}
	if collectedSince(p.settings, p.ID, since) {
		// gc or untrust came while it was being made: they win.
		warm.RetireSpare(ctx, made.ID)
		return errors.New("gc or untrust retired the project's spares while this one was made: it goes")
	}
	if remember := p.rememberer(tool, sts[0].Ref, req, tty, true); remember != nil {
		remember(made.Socket, made.Server, made.Request)
	}
	return nil
}
