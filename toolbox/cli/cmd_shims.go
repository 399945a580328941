package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/toolbox/front"
	"github.com/tbx-dev/tbx/toolbox/internal/exit"
	"github.com/tbx-dev/tbx/toolbox/internal/project"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
	"github.com/tbx-dev/tbx/toolbox/internal/shims"
)

func shimsCommand(a *app) *ucli.Command {
	dirFlag := &ucli.StringFlag{Name: "dir", Usage: "where the shims go (default ~/.local/bin)"}
	return &ucli.Command{
		Name:  "shims",
		Usage: "install or remove PATH shims, so that typing a recipe command runs it through tbx",
		Subcommands: []*ucli.Command{
			{
				Name:  "install",
				Usage: "write one shim per recipe command",
				Flags: []ucli.Flag{dirFlag},
				Action: func(c *ucli.Context) error {
					return act(a, c, a.seams.shims, shimsOptions{Dir: c.String("dir")}, func(s project.Settings, o shimsOptions) error {
						return a.runShimsInstall(s, o.Dir)
					})
				},
			},
			{
				Name:  "remove",
				Usage: "remove every tbx shim from the directory, and nothing else",
				Flags: []ucli.Flag{dirFlag},
				Action: func(c *ucli.Context) error {
					return act(a, c, a.seams.shims, shimsOptions{Dir: c.String("dir"), Remove: true}, func(_ project.Settings, o shimsOptions) error {
						return runShimsRemove(a.streams, o.Dir)
					})
				},
			},
		},
	}
}

func shimDir(dir string) (string, error) {
	if dir != "" {
		return filepath.Abs(dir)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the home directory: %w; pass --dir", err)
	}
	return filepath.Join(home, ".local", "bin"), nil
}

func (a *app) runShimsInstall(st project.Settings, dir string) error {
	s := a.streams
	p, err := a.openWith(st)
	if err != nil {
		return err
	}
	defer p.Close()
	if dir, err = shimDir(dir); err != nil {
		return err
	}
	self, err := a.frontBinary()
	if err != nil {
		return err
	}
	if strings.Contains(self, "go-build") {
		fmt.Fprintf(s.Err, "tbx: warning: shims will call %s, a temporary `go run` binary; install tbx first (scripts/install.sh)\n", self)
	}
	written, err := shims.Install(dir, self, p.Commands())
	for _, p := range written {
		fmt.Fprintln(s.Out, p)
	}
	if err != nil {
		return err
	}
	if !shims.OnPath(dir, os.Getenv("PATH")) {
		fmt.Fprintf(s.Err, "tbx: warning: %s is not on PATH; add it (export PATH=\"%s:$PATH\") so that the shims are found\n", dir, dir)
	}
	return nil
}

func runShimsRemove(s *Streams, dir string) error {
	dir, err := shimDir(dir)
	if err != nil {
		return err
	}
	removed, err := shims.Remove(dir)
	for _, p := range removed {
		fmt.Fprintln(s.Out, p)
	}
	return err
}

// shimCommand is what a shim calls: run COMMAND through the nearest recipe
// that has it, else the next real COMMAND on PATH.
func shimCommand(a *app) *ucli.Command {
	return &ucli.Command{
		Name:            "shim",
		Hidden:          true,
		SkipFlagParsing: true,
		Action: func(c *ucli.Context) error {
			args := c.Args().Slice()
			if len(args) == 0 {
				return exit.Errorf(exit.Failed, "tbx shim needs a COMMAND")
			}
			return act(a, c, a.seams.shim, shimOptions{args}, func(s project.Settings, o shimOptions) error {
				return a.runShim(c.Context, s, o.Args)
			})
		},
	}
}

func (a *app) runShim(ctx context.Context, s project.Settings, args []string) error {
	s.File = "" // a shim finds its recipe from where it runs
	path, err := recipe.Find(s.Cwd)
	if err == nil {
		r, err := recipe.Load(path, s.RecipeOptions())
		if err != nil {
			return err
		}
		if r.Command(args[0]) != nil {
			return a.runRun(ctx, s, runOptions{RunRequest: project.RunRequest{Args: args}})
		}
	} else if !errors.Is(err, recipe.ErrNotFound) {
		return err
	}
	return execNext(args, s.Cwd)
}

// execNext replaces tbx with the next real binary of that name on PATH.
func execNext(args []string, wd string) error {
	bin, ok := shims.NextBinary(args[0], os.Getenv("PATH"), os.Getenv("PATHEXT"))
	if !ok {
		return exit.Errorf(exit.NotFound, "%s: not found: no toolbox.toml with that command above %s, and no other %s on PATH", args[0], wd, args[0])
	}
	return replaceWith(bin, args)
}

// frontBinary is the tbx that shims call: the front next to this core,
// which starts a warm command without the core, or this binary when it
// has no front.
func (a *app) frontBinary() (string, error) {
	self, err := a.deps.executable()
	if err != nil {
		return "", fmt.Errorf("finding the tbx binary: %w", err)
	}
	self = recipe.RealPath(self)
	if filepath.Base(self) == front.CoreName() {
		tbx := front.NextTo(self)
		if isExecutable(tbx) {
			return tbx, nil
		}
	}
	return self, nil
}
