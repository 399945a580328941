package cli

import (
	"context"
	"fmt"

	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/toolbox/internal/project"
)

func gcCommand(a *app) *ucli.Command {
	return &ucli.Command{
		Name:  "gc",
		Usage: "remove this project's containers a killed tbx left behind and its idle warm containers; with --images/--volumes, what the recipe no longer uses",
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "images", Usage: "also remove this project's images that no current tool version uses"},
			&ucli.BoolFlag{Name: "volumes", Usage: "also remove this project's volumes that no current tool mounts"},
			&ucli.BoolFlag{Name: "warm", Usage: "remove only the warm containers"},
			&ucli.BoolFlag{Name: "all", Usage: "containers of every project of yours, not only this one"},
			&ucli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "only say what would be removed"},
		},
		Action: func(c *ucli.Context) error {
			opts := project.GCOptions{Images: c.Bool("images"), Volumes: c.Bool("volumes"), Warm: c.Bool("warm"), All: c.Bool("all"), DryRun: c.Bool("dry-run")}
			return act(a, c, a.seams.gc, opts, func(s project.Settings, o project.GCOptions) error { return a.runGC(c.Context, s, o) })
		},
	}
}

func (a *app) runGC(ctx context.Context, s project.Settings, opts project.GCOptions) error {
	e, err := a.engine()
	if err != nil {
		return err
	}
	defer closeEngine(e)
	rep, err := project.Collect(ctx, s, e, opts)
	printRemoved(a.streams, rep, opts.DryRun)
	if err == nil && len(rep.Removed) == 0 {
		fmt.Fprintln(a.streams.Err, "tbx: nothing to remove")
	}
	return err
}

func printRemoved(s *Streams, rep project.GCReport, dry bool) {
	verb := "removed"
	if dry {
		verb = "would remove"
	}
	for _, r := range rep.Removed {
		fmt.Fprintf(s.Out, "%s %s\n", verb, r)
	}
	for _, r := range rep.Kept {
		fmt.Fprintf(s.Err, "tbx: kept %s\n", r)
	}
}
