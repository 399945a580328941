package cli

import (
	"context"
	"fmt"

	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/toolbox/internal/exit"
	"github.com/tbx-dev/tbx/toolbox/internal/project"
)

// DefaultJobs bounds how many tools prepare acquires at once.
const DefaultJobs = 3

func buildCommand(a *app) *ucli.Command {
	return &ucli.Command{
		Name:      "build",
		Usage:     "build the images of the recipe's built tools (all, or those named)",
		ArgsUsage: "[TOOL...]",
		Flags:     []ucli.Flag{&ucli.BoolFlag{Name: "force", Usage: "build again, without cache, even when the image is up to date"}},
		Action: func(c *ucli.Context) error {
			return a.acquireAction(c, project.AcquireOptions{Force: c.Bool("force"), Build: true, Jobs: 1})
		},
	}
}

func pullCommand(a *app) *ucli.Command {
	return &ucli.Command{
		Name:      "pull",
		Usage:     "pull the images of the recipe's pulled tools (all, or those named)",
		ArgsUsage: "[TOOL...]",
		Action: func(c *ucli.Context) error {
			return a.acquireAction(c, project.AcquireOptions{Force: true, Pull: true, Jobs: DefaultJobs})
		},
	}
}

func prepareCommand(a *app) *ucli.Command {
	return &ucli.Command{
		Name:      "prepare",
		Usage:     "make every tool ready, building or pulling what is missing or stale, in parallel",
		ArgsUsage: "[TOOL...]",
		Flags: []ucli.Flag{
			&ucli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: DefaultJobs, Usage: "how many tools to acquire at once"},
			&ucli.BoolFlag{Name: "frozen", Usage: "exactly what toolbox.lock pins: never build, never follow a tag (also TBX_FROZEN=1)"},
			&ucli.BoolFlag{Name: "push", Usage: "then push the built tools to the team registry: the publishing CI job"},
			signKeyFlag(),
		},
		Action: func(c *ucli.Context) error {
			opts := project.AcquireOptions{Jobs: c.Int("jobs"), Frozen: c.Bool("frozen") || envTrue("TBX_FROZEN"), Push: c.Bool("push")}
			if opts.Frozen && opts.Push {
				return exit.Errorf(exit.Failed, "--frozen and --push do not go together: a frozen prepare publishes nothing")
			}
			return a.acquireAction(c, opts)
		},
	}
}

func pushCommand(a *app) *ucli.Command {
	return &ucli.Command{
		Name:      "push",
		Usage:     "push the built tools' images to the team registry as REGISTRY/PROJECT/TOOL:HASH",
		ArgsUsage: "[TOOL...]",
		Flags:     []ucli.Flag{signKeyFlag()},
		Action: func(c *ucli.Context) error {
			return act(a, c, a.seams.push, pushOptions{c.Args().Slice()}, func(s project.Settings, o pushOptions) error {
				p, err := a.openWith(s)
				if err != nil {
					return err
				}
				defer p.Close()
				return runPush(c.Context, p, o.Tools, a.streams)
			})
		},
	}
}

// signKeyFlag names the key that signs what a command pushes.
func signKeyFlag() ucli.Flag {
	return &ucli.StringFlag{Name: "sign-key", EnvVars: []string{"TBX_SIGN_KEY"}, TakesFile: true,
		Usage: "sign each image pushed with this cosign private key file, its password in COSIGN_PASSWORD"}
}

func runPush(ctx context.Context, p *project.Project, names []string, s *Streams) error {
	tools, err := p.Tools(names)
	if err != nil {
		return err
	}
	pushed, err := p.Push(ctx, tools)
	for _, x := range pushed {
		fmt.Fprintf(s.Out, "%s@%s\n", x.Ref, x.Digest)
	}
	return err
}

func (a *app) acquireAction(c *ucli.Context, opts project.AcquireOptions) error {
	return act(a, c, a.seams.acquire, acquireOptions{opts, c.Args().Slice()}, func(s project.Settings, o acquireOptions) error {
		s.Frozen = s.Frozen || o.Frozen
		p, err := a.openWith(s)
		if err != nil {
			return err
		}
		defer p.Close()
		return runAcquire(c.Context, p, o.Tools, o.AcquireOptions)
	})
}

func runAcquire(ctx context.Context, p *project.Project, names []string, opts project.AcquireOptions) error {
	tools, err := p.Tools(names)
	if err != nil {
		return err
	}
	for _, t := range tools {
		switch {
		case len(names) == 0:
		case opts.Build && t.Image != "":
			return exit.Errorf(exit.Failed, "tool %s is pulled (image = %q), not built; use `tbx pull %s`", t.Name, t.Image, t.Name)
		case opts.Pull && t.Build != "":
			return exit.Errorf(exit.Failed, "tool %s is built, not pulled; use `tbx build %s`", t.Name, t.Name)
		}
	}
	if err := p.Prepare(ctx, tools, opts); err != nil || !opts.Push {
		return err
	}
	_, err = p.Push(ctx, tools)
	return err
}
