package cli

import (
	"context"
	"fmt"

	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/toolbox/acquire"
	"github.com/tbx-dev/tbx/toolbox/exit"
	"github.com/tbx-dev/tbx/toolbox/lockfile"
)

type lockOptions struct {
	Check, Update bool
}

func lockCommand(s *Streams) *ucli.Command {
	return &ucli.Command{
		Name:  "lock",
		Usage: "pin every tool and base image by digest in toolbox.lock, publishing what the team registry lacks",
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "check", Usage: "only say whether toolbox.lock still matches the recipe and its build inputs (exit 1 if not)"},
			&ucli.BoolFlag{Name: "update", Usage: "resolve tags and pin base images again, even those the lock pins"},
		},
		Action: func(c *ucli.Context) error {
			p, err := openProject(c, s)
			if err != nil {
				return err
			}
			defer p.close()
			return runLock(c.Context, p, lockOptions{Check: c.Bool("check"), Update: c.Bool("update")}, s)
		},
	}
}

func runLock(ctx context.Context, p *project, opts lockOptions, s *Streams) error {
	path := lockfile.Path(p.recipe.Path)
	if opts.Check {
		return checkLock(ctx, p, path, s)
	}
	l, err := p.manager.Pin(ctx, acquire.PinOptions{Update: opts.Update})
	if l == nil {
		return err
	}
	if werr := lockfile.Write(path, l); werr != nil {
		return werr
	}
	fmt.Fprintln(s.Out, path)
	return err
}

func checkLock(ctx context.Context, p *project, path string, s *Streams) error {
	problems, err := p.manager.CheckLock(ctx)
	if err != nil {
		return err
	}
	for _, line := range problems {
		fmt.Fprintln(s.Out, line)
	}
	if len(problems) > 0 {
		return exit.Errorf(1, "%s does not match the recipe (%d difference(s) above); run `tbx lock`", path, len(problems))
	}
	return nil
}
