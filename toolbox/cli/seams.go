package cli

import (
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
