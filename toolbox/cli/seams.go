package cli

import (
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/toolbox/internal/project"
)

// seams are what each command does once its command line is read: a test
// sets one to see the options a command line gives, without reading
// settings, opening the project or asking the Engine (gh's runF). A nil
// seam runs the command.
type seams struct {
	run     func(runOptions) error
	acquire func(acquireOptions) error
	lock    func(lockOptions) error
	gc      func(project.GCOptions) error
	init    func(initOptions) error
	ls      func(lsOptions) error
	push    func(pushOptions) error
	trust   func(trustOptions) error
	untrust func(untrustOptions) error
	shims   func(shimsOptions) error
	shim    func(shimOptions) error
	doctor  func(doctorOptions) error
	spare   func(spareOptions) error
}

// pushOptions are the tools push was asked for (none for all).
type pushOptions struct{ Tools []string }

// trustOptions: Show only says what the recipe reaches and whether it is
// trusted.
type trustOptions struct{ Show bool }

// untrustOptions: untrust takes nothing but the recipe.
type untrustOptions struct{}

// doctorOptions: doctor takes nothing but the recipe.
type doctorOptions struct{}

// shimsOptions are where the shims go (Dir, "" for ~/.local/bin) and
// whether they are removed rather than written.
type shimsOptions struct {
	Dir    string
	Remove bool
}

// shimOptions are the command line a shim was called with.
type shimOptions struct{ Args []string }

// spareOptions are what the spare's maker was told: the tool and command
// of the run it follows, whether it had a terminal, and when it started.
type spareOptions struct {
	Tool, Command string
	TTY           bool
	Since         time.Time
}

// acquireOptions are what build, pull and prepare were asked for: the
// tools named (none for all) and how to acquire them.
type acquireOptions struct {
	project.AcquireOptions
	Tools []string
}

// act hands opts to the test's seam when one is set, else to the
// command's own action with the call's settings.
func act[O any](a *app, c *ucli.Context, seam func(O) error, opts O, action func(project.Settings, O) error) error {
	if seam != nil {
		return seam(opts)
	}
	s, err := a.settings(c)
	if err != nil {
		return err
	}
	return action(s, opts)
}
