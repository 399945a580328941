package cli

import (
	"context"

	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/toolbox/acquire"
	"github.com/tbx-dev/tbx/toolbox/exit"
)

// DefaultJobs bounds how many tools prepare acquires at once.
const DefaultJobs = 3

func buildCommand(s *Streams) *ucli.Command {
	return &ucli.Command{
		Name:      "build",
		Usage:     "build the images of the recipe's built tools (all, or those named)",
		ArgsUsage: "[TOOL...]",
		Flags:     []ucli.Flag{&ucli.BoolFlag{Name: "force", Usage: "build again, without cache, even when the image is up to date"}},
		Action: func(c *ucli.Context) error {
			return acquireAction(c, s, acquire.Options{Force: c.Bool("force"), Build: true, Jobs: 1})
		},
	}
}

func pullCommand(s *Streams) *ucli.Command {
	return &ucli.Command{
		Name:      "pull",
		Usage:     "pull the images of the recipe's pulled tools (all, or those named)",
		ArgsUsage: "[TOOL...]",
		Action: func(c *ucli.Context) error {
			return acquireAction(c, s, acquire.Options{Force: true, Pull: true, Jobs: DefaultJobs})
		},
	}
}

func prepareCommand(s *Streams) *ucli.Command {
	return &ucli.Command{
		Name:      "prepare",
		Usage:     "make every tool ready, building or pulling what is missing or stale, in parallel",
		ArgsUsage: "[TOOL...]",
		Flags: []ucli.Flag{
			&ucli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: DefaultJobs, Usage: "how many tools to acquire at once"},
		},
		Action: func(c *ucli.Context) error {
			return acquireAction(c, s, acquire.Options{Jobs: c.Int("jobs")})
		},
	}
}

func acquireAction(c *ucli.Context, s *Streams, opts acquire.Options) error {
	p, err := openProject(c, s)
	if err != nil {
		return err
	}
	defer p.close()
	return runAcquire(c.Context, p, c.Args().Slice(), opts)
}

func runAcquire(ctx context.Context, p *project, names []string, opts acquire.Options) error {
	tools, err := pickTools(p.recipe, names)
	if err != nil {
		return err
	}
	for _, t := range tools {
		switch {
		case len(names) == 0:
		case opts.Build && t.Image != "":
			return exit.Errorf(exit.Launcher, "tool %s is pulled (image = %q), not built; use `tbx pull %s`", t.Name, t.Image, t.Name)
		case opts.Pull && t.Build != "":
			return exit.Errorf(exit.Launcher, "tool %s is built (build = %q), not pulled; use `tbx build %s`", t.Name, relTo(p.recipe.Dir, t.Build), t.Name)
		}
	}
	return p.manager.Prepare(ctx, tools, opts)
}
