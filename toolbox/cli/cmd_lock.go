package cli

import (
	"context"
	"fmt"

	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/toolbox/internal/exit"
	"github.com/tbx-dev/tbx/toolbox/internal/lockfile"
	"github.com/tbx-dev/tbx/toolbox/internal/project"
)

type lockOptions struct {
	Check, Update bool
}

func lockCommand(a *app) *ucli.Command {
	return &ucli.Command{
		Name:  "lock",
		Usage: "pin every tool and base image by digest in toolbox.lock, publishing what the team registry lacks",
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "check", Usage: "only say whether toolbox.lock still matches the recipe and its build inputs (exit 1 if not)"},
			&ucli.BoolFlag{Name: "update", Usage: "resolve tags and pin base images again, even those the lock pins"},
			signKeyFlag(),
		},
		Action: func(c *ucli.Context) error {
			opts := lockOptions{Check: c.Bool("check"), Update: c.Bool("update")}
			return act(a, c, a.seams.lock, opts, func(s project.Settings, o lockOptions) error { return a.runLock(c.Context, s, o) })
		},
	}
}

func (a *app) runLock(ctx context.Context, s project.Settings, opts lockOptions) error {
	s.LockAsIs = true // the lock is what this command checks or rewrites
	p, err := a.openWith(s)
	if err != nil {
		return err
	}
	defer p.Close()
	if opts.Check {
		return checkLock(ctx, p, a.streams)
	}
	path, err := p.WriteLock(ctx, project.PinOptions{Update: opts.Update})
	if path != "" {
		fmt.Fprintln(a.streams.Out, path)
	}
	return err
}

func checkLock(ctx context.Context, p *project.Project, s *Streams) error {
	problems, err := p.CheckLock(ctx)
	if err != nil {
		return err
	}
	for _, line := range problems {
		fmt.Fprintln(s.Out, line)
	}
	if len(problems) > 0 {
		return exit.Errorf(1, "%s does not match the recipe (%d difference(s) above); run `tbx lock`", lockfile.Path(p.Recipe.Path), len(problems))
	}
	return nil
}
