package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/toolbox/exit"
	"github.com/tbx-dev/tbx/toolbox/recipe"
	"github.com/tbx-dev/tbx/toolbox/runner"
	"github.com/tbx-dev/tbx/toolbox/statedir"
)

// runOptions are what `tbx run` and `tbx shell` were asked for.
type runOptions struct {
	Tool       string   // run in this tool's image (--tool, shell)
	Args       []string // the command and its arguments
	Entrypoint []string // set by shell
	Frozen     bool     // exactly what toolbox.lock pins
}

func runCommand(s *Streams) *ucli.Command {
	return &ucli.Command{
		Name:            "run",
		Usage:           "run a recipe command in its tool's container, as if installed locally",
		ArgsUsage:       "[--frozen] COMMAND [ARGS...] | [--frozen] --tool TOOL -- CMD [ARGS...]",
		SkipFlagParsing: true, // everything after COMMAND belongs to it
		Action: func(c *ucli.Context) error {
			opts, err := parseRunArgs(c.Args().Slice())
			if err != nil {
				return err
			}
			if opts == nil {
				return ucli.ShowCommandHelp(c, "run")
			}
			r, err := loadRecipe(c)
			if err != nil {
				return err
			}
			return runRun(c, s, r, *opts)
		},
	}
}

func shellCommand(s *Streams) *ucli.Command {
	return &ucli.Command{
		Name:      "shell",
		Usage:     "open an interactive shell in a tool's container",
		ArgsUsage: "TOOL",
		Action: func(c *ucli.Context) error {
			if c.NArg() != 1 {
				return exit.Errorf(exit.Launcher, "tbx shell takes one TOOL; see `tbx shell --help`")
			}
			r, err := loadRecipe(c)
			if err != nil {
				return err
			}
			return runRun(c, s, r, runOptions{
				Tool:       c.Args().First(),
				Entrypoint: []string{"/bin/sh", "-c", "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi"},
			})
		},
	}
}

// parseRunArgs reads `COMMAND ARGS...` or `--tool TOOL [--] CMD ARGS...`;
// nil means help was asked for.
func parseRunArgs(args []string) (*runOptions, error) {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		return nil, nil
	}
	var opts runOptions
	if args[0] == "--frozen" {
		opts.Frozen, args = true, args[1:]
		if len(args) == 0 {
			return nil, exit.Errorf(exit.Launcher, "no command to run; see `tbx run --help`")
		}
	}
	switch {
	case args[0] == "--tool" || args[0] == "-t":
		if len(args) < 2 {
			return nil, exit.Errorf(exit.Launcher, "--tool needs a TOOL; see `tbx run --help`")
		}
		opts.Tool, args = args[1], args[2:]
	case strings.HasPrefix(args[0], "--tool="):
		opts.Tool, args = strings.TrimPrefix(args[0], "--tool="), args[1:]
	}
	if opts.Tool != "" && len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return nil, exit.Errorf(exit.Launcher, "no command to run; see `tbx run --help`")
	}
	opts.Args = args
	return &opts, nil
}

func runRun(c *ucli.Context, s *Streams, r *recipe.Recipe, opts runOptions) error {
	if err := requireTrust(c, r); err != nil {
		return err
	}
	p, err := openRecipe(c, s, r)
	if err != nil {
		return err
	}
	defer p.close()
	tool, err := toolFor(p.recipe, opts)
	if err != nil {
		return err
	}
	p.manager.Frozen = frozen(opts.Frozen)
	st, err := p.manager.Ensure(c.Context, tool, false)
	if err != nil {
		return err
	}
	inv, err := invocation(p.recipe, tool, st.Ref, opts, s)
	if err != nil {
		return err
	}
	if recipe.Flag(tool.Run.Docker, false) {
		if inv.EngineSocket, err = engineSocket(p.engine.DaemonHost(), tool.Name); err != nil {
			return err
		}
	}
	if recipe.Flag(tool.Run.SSHAgent, false) && os.Getenv("SSH_AUTH_SOCK") == "" {
		fmt.Fprintf(s.Err, "tbx: warning: tool %s forwards the SSH agent, but SSH_AUTH_SOCK is not set: ssh in it will find no keys (eval $(ssh-agent); ssh-add)\n", tool.Name)
	}
	rn := &runner.Runner{Engine: p.engine, Streams: runner.Streams{In: s.In, Out: s.Out, Err: s.Err}}
	if c.Bool("debug") {
		rn.Debug = s.Err
	}
	idle, err := warmIdle(tool)
	if err != nil {
		return err
	}
	// Signals now belong to the command: they are forwarded, not obeyed.
	ctx := context.WithoutCancel(c.Context)
	if idle > 0 {
		return rn.RunWarm(ctx, inv, idle, helperBinary())
	}
	return rn.Run(ctx, inv)
}

// warmIdle is how long the tool's warm container waits for the next run:
// TBX_WARM over the recipe's warm; 0 runs a throwaway container.
func warmIdle(t *recipe.Tool) (time.Duration, error) {
	if v := os.Getenv("TBX_WARM"); v != "" {
		d, err := recipe.ParseWarm(v)
		if err != nil {
			return 0, exit.Errorf(exit.Launcher, "TBX_WARM: %v", err)
		}
		return d, nil
	}
	if t.Run.Warm != nil {
		return *t.Run.Warm, nil
	}
	return 0, nil
}

// helperBinary is what a warm container runs as its helper: tbx-warm next
// to this binary when it is there (it starts much faster), else this tbx.
func helperBinary() string {
	self, err := os.Executable()
	if err != nil {
		return ""
	}
	self = recipe.RealPath(self)
	if small := filepath.Join(filepath.Dir(self), "tbx-warm"); isExecutable(small) {
		return small
	}
	return self
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

func toolFor(r *recipe.Recipe, opts runOptions) (*recipe.Tool, error) {
	if opts.Tool != "" {
		tools, err := pickTools(r, []string{opts.Tool})
		if err != nil {
			return nil, err
		}
		return tools[0], nil
	}
	if t := r.Command(opts.Args[0]); t != nil {
		return t, nil
	}
	return nil, exit.Errorf(exit.NotFound, "%s: no such command in %s; commands: %s", opts.Args[0], r.Path, strings.Join(allCommands(r), ", "))
}

func allCommands(r *recipe.Recipe) []string {
	var out []string
	for _, t := range r.Tools {
		out = append(out, t.Commands...)
	}
	return out
}

func invocation(r *recipe.Recipe, t *recipe.Tool, ref string, opts runOptions, s *Streams) (runner.Invocation, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return runner.Invocation{}, fmt.Errorf("finding the working directory: %w", err)
	}
	state, err := statedir.Dir()
	if err != nil {
		return runner.Invocation{}, err
	}
	id := runner.Caller()
	if err := id.Prepare(state, r.Name, t.Name); err != nil {
		return runner.Invocation{}, err
	}
	return runner.Invocation{
		Project:    r.Name,
		Root:       recipe.RealPath(r.Dir),
		Tool:       t,
		Image:      ref,
		Args:       opts.Args,
		Entrypoint: opts.Entrypoint,
		Cwd:        recipe.RealPath(cwd),
		HostEnv:    os.Environ(),
		TTY:        runner.UseTTY(s.In, s.Out),
		Identity:   id,
		Launcher:   runner.Launcher(),
	}, nil
}

// engineSocket is the host path of the Engine's socket, for a tool with
// docker = true.
func engineSocket(host, tool string) (string, error) {
	sock, ok := strings.CutPrefix(host, "unix://")
	if !ok {
		return "", exit.Errorf(exit.Launcher, "tool %s has docker = true, which mounts the Engine's unix socket, but the Engine is at %s; point DOCKER_HOST at a unix socket", tool, host)
	}
	return sock, nil
}
