package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/toolbox/acquire"
	"github.com/tbx-dev/tbx/toolbox/engine"
	"github.com/tbx-dev/tbx/toolbox/gc"
	"github.com/tbx-dev/tbx/toolbox/recipe"
	"github.com/tbx-dev/tbx/toolbox/runner"
)

type gcOptions struct {
	Images, Volumes, Warm, DryRun bool
}

func gcCommand(s *Streams) *ucli.Command {
	return &ucli.Command{
		Name:  "gc",
		Usage: "remove containers a killed tbx left behind and warm containers; with --images/--volumes, what the recipe no longer uses",
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "images", Usage: "also remove this project's images that no current tool version uses"},
			&ucli.BoolFlag{Name: "volumes", Usage: "also remove this project's volumes that no current tool mounts"},
			&ucli.BoolFlag{Name: "warm", Usage: "remove only the warm containers"},
			&ucli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "only say what would be removed"},
		},
		Action: func(c *ucli.Context) error {
			return runGC(c, s, gcOptions{Images: c.Bool("images"), Volumes: c.Bool("volumes"), Warm: c.Bool("warm"), DryRun: c.Bool("dry-run")})
		},
	}
}

func runGC(c *ucli.Context, s *Streams, opts gcOptions) error {
	var rec *recipe.Recipe
	if opts.Images || opts.Volumes {
		var err error
		if rec, err = loadTrusted(c); err != nil { // before the Engine is touched
			return err
		}
	}
	e, err := engine.Connect(c.Context)
	if err != nil {
		return err
	}
	defer e.Close()
	host, _ := os.Hostname()
	col := &gc.Collector{Engine: e, Host: host, Alive: gc.ProcessAlive, DryRun: opts.DryRun}
	removed, err := col.Warm(c.Context)
	printRemoved(s, removed, opts.DryRun)
	if err != nil || opts.Warm {
		return err
	}
	removed, err = col.Containers(c.Context)
	printRemoved(s, removed, opts.DryRun)
	if err != nil || !opts.Images && !opts.Volumes {
		return err
	}
	p, err := openRecipe(c, s, rec)
	if err != nil {
		return err
	}
	defer p.close()
	removed, err = collectProject(c.Context, p, col, opts)
	printRemoved(s, removed, opts.DryRun)
	return err
}

func collectProject(ctx context.Context, p *project, col *gc.Collector, opts gcOptions) ([]gc.Removed, error) {
	var out []gc.Removed
	if opts.Images {
		keep, err := currentHashes(ctx, p.manager, p)
		if err != nil {
			return nil, err
		}
		r, err := col.Images(ctx, p.recipe.Name, keep)
		if out = append(out, r...); err != nil {
			return out, err
		}
	}
	if opts.Volumes {
		r, err := col.Volumes(ctx, p.recipe.Name, currentVolumes(p))
		out = append(out, r...)
		return out, err
	}
	return out, nil
}

func currentHashes(ctx context.Context, m *acquire.Manager, p *project) (map[string]bool, error) {
	sts, err := m.Inspect(ctx, p.recipe.Tools)
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{}
	for _, st := range sts {
		keep[st.Hash] = true
	}
	return keep, nil
}

func currentVolumes(p *project) map[string]bool {
	keep := map[string]bool{}
	for _, t := range p.recipe.Tools {
		for _, v := range t.Run.Volumes {
			if src, _, _ := strings.Cut(v, ":"); !strings.HasPrefix(src, "/") {
				keep[runner.VolumeName(p.recipe.Name, src)] = true
			}
		}
	}
	return keep
}

func printRemoved(s *Streams, removed []gc.Removed, dry bool) {
	verb := "removed"
	if dry {
		verb = "would remove"
	}
	for _, r := range removed {
		fmt.Fprintf(s.Out, "%s %s\n", verb, r)
	}
}
