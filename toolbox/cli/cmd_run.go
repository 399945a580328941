package cli

import (
	"context"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/toolbox/internal/exit"
	"github.com/tbx-dev/tbx/toolbox/internal/project"
)

// runOptions are what `tbx run` and `tbx shell` were asked for.
type runOptions struct {
	project.RunRequest
	Frozen bool // exactly what toolbox.lock pins
}

func runCommand(a *app) *ucli.Command {
	return &ucli.Command{
		Name:      "run",
		Usage:     "run a recipe command in its tool's container, as if installed locally",
		ArgsUsage: "[--frozen] COMMAND [ARGS...] | [--frozen] --tool TOOL -- CMD [ARGS...]",
		Description: "Runs COMMAND, one of the recipe's commands, in its tool's container, as a locally installed\n" +
			"binary would run: the project mounted at its own path, your working directory, your uid, the\n" +
			"terminal or byte-exact pipes, every signal forwarded, and the command's own exit code.\n\n" +
			"tbx reads its own flags (below) only before COMMAND: every word after COMMAND, flags\n" +
			"included, is COMMAND's, untouched (tbx run az --help shows az's help). With --tool, CMD\n" +
			"is anything in the tool's image; put -- before it when it starts with a dash.",
		Flags: []ucli.Flag{ // parsed by parseRunArgs, listed here for the help
			&ucli.BoolFlag{Name: "frozen", Usage: "exactly what toolbox.lock pins: never build, never follow a tag (also TBX_FROZEN=1)"},
			&ucli.StringFlag{Name: "tool", Aliases: []string{"t"}, Usage: "run CMD in this tool's image, whatever the recipe's commands"},
		},
		SkipFlagParsing: true, // everything after COMMAND belongs to it
		Action: func(c *ucli.Context) error {
			opts, err := parseRunArgs(c.Args().Slice())
			if err != nil {
				return err
			}
			if opts == nil {
				return showHelp(c, c.NArg() > 0)
			}
			return act(a, c, a.seams.run, *opts, func(s project.Settings, o runOptions) error { return a.runRun(c.Context, s, o) })
		},
	}
}

func shellCommand(a *app) *ucli.Command {
	return &ucli.Command{
		Name:      "shell",
		Usage:     "open an interactive shell in a tool's container",
		ArgsUsage: "TOOL",
		Action: func(c *ucli.Context) error {
			if c.NArg() != 1 {
				return exit.Errorf(exit.Failed, "tbx shell takes one TOOL; see `tbx shell --help`")
			}
			opts := runOptions{RunRequest: project.RunRequest{
				Tool:       c.Args().First(),
				Entrypoint: []string{"/bin/sh", "-c", "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi"},
			}}
			return act(a, c, a.seams.run, opts, func(s project.Settings, o runOptions) error { return a.runRun(c.Context, s, o) })
		},
	}
}

// showHelp prints the command's help on stdout when it was asked for;
// else (a command that needs arguments got none) it is a one-line usage
// error, exit 125.
func showHelp(c *ucli.Context, asked bool) error {
	if asked {
		ucli.HelpPrinter(c.App.Writer, ucli.CommandHelpTemplate, c.Command)
		return nil
	}
	return exit.Errorf(exit.Failed, "tbx %s needs a COMMAND: tbx %s %s (`tbx %s --help` says more)", c.Command.Name, c.Command.Name, c.Command.ArgsUsage, c.Command.Name)
}

// parseRunArgs reads `COMMAND ARGS...` or `--tool TOOL [--] CMD ARGS...`;
// nil means help was asked for, or nothing was given.
func parseRunArgs(args []string) (*runOptions, error) {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		return nil, nil
	}
	var opts runOptions
	if args[0] == "--frozen" {
		opts.Frozen, args = true, args[1:]
		if len(args) == 0 {
			return nil, exit.Errorf(exit.Failed, "no command to run; see `tbx run --help`")
		}
	}
	switch {
	case args[0] == "--tool" || args[0] == "-t":
		if len(args) < 2 {
			return nil, exit.Errorf(exit.Failed, "--tool needs a TOOL; see `tbx run --help`")
		}
		opts.Tool, args = args[1], args[2:]
	case strings.HasPrefix(args[0], "--tool="):
		opts.Tool, args = strings.TrimPrefix(args[0], "--tool="), args[1:]
	}
	if opts.Tool != "" && len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return nil, exit.Errorf(exit.Failed, "no command to run; see `tbx run --help`")
	}
	opts.Args = args
	return &opts, nil
}

func (a *app) runRun(ctx context.Context, s project.Settings, opts runOptions) error {
	s.Frozen = s.Frozen || opts.Frozen
	p, err := a.openWith(s)
	if err != nil {
		return err
	}
	defer p.Close()
	return p.Run(ctx, opts.RunRequest, project.Streams{In: a.streams.In, Out: a.streams.Out, Err: a.streams.Err})
}
