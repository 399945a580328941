package project

import (
	"context"

	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/acquire"
	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/reuse"
	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/runner"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// What the command line takes from the packages below the project, which
// only the project may use: their types, named here.
type (
	// AcquireOptions say how tools are made ready: built, pulled, pushed.
	AcquireOptions = acquire.Options
	// PinOptions say how `tbx lock` pins.
	PinOptions = acquire.PinOptions
	// Status is a tool's image state, as `tbx ls` and `doctor` show it.
	Status = acquire.Status
	// State is a tool's image state: ready, stale, missing, unchecked.
	State = acquire.State
	// Pushed is a tool pushed to the team registry.
	Pushed = acquire.Pushed
	// WarmContainer is a warm container as `tbx ls` shows it.
	WarmContainer = reuse.WarmContainer
	// Streams are the caller's standard streams.
	Streams = runner.Streams
	// SignalRouter hands the process's signals to a command.
	SignalRouter = runner.SignalRouter
)

// The states of a tool's image.
const (
	Ready     = acquire.Ready
	Unchecked = acquire.Unchecked
	Foreign   = acquire.Foreign
	Broken    = acquire.Broken
)

// Prepare makes tools ready as opts say.
func (p *Project) Prepare(ctx context.Context, tools []*recipe.Tool, opts AcquireOptions) error {
	return p.manager.Prepare(ctx, tools, opts)
}

// Push pushes the built tools to the team registry, and returns what it
// pushed.
func (p *Project) Push(ctx context.Context, tools []*recipe.Tool) ([]Pushed, error) {
	return p.manager.Push(ctx, tools)
}

// Signature says how st's image meets the recipe's signature policy here,
// verifying it in the registry, with the user's credentials, when it must
// be signed and no verdict is remembered; "" for a tool that requires no
// signature. Reaching a registry is acting: the read-only View does not.
func (p *Project) Signature(ctx context.Context, st Status) (string, error) {
	return p.manager.Signature(ctx, st)
}

// CheckLock lists what no longer matches the lock.
func (p *Project) CheckLock(ctx context.Context) ([]string, error) {
	return p.manager.CheckLock(ctx)
}
