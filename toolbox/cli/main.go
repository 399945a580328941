// Package cli is tbx's command line: it parses flags into options, calls the
// core and maps every error to one line on stderr and an exit code.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"syscall"

	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/toolbox/front"
	"github.com/tbx-dev/tbx/toolbox/helper"
	"github.com/tbx-dev/tbx/toolbox/internal/engine"
	"github.com/tbx-dev/tbx/toolbox/internal/exit"
	"github.com/tbx-dev/tbx/toolbox/internal/route"
	"github.com/tbx-dev/tbx/toolbox/internal/shims"
	"github.com/tbx-dev/tbx/toolbox/internal/signals"
	"github.com/tbx-dev/tbx/toolbox/internal/suggest"
	"github.com/tbx-dev/tbx/toolbox/internal/version"
)

// Main runs tbx with args and returns its exit code; nothing below it exits.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 1 && args[1] == helper.Command {
		return helper.Main(args[2:]) // in a warm container, as its helper
	}
	if err := sameBuildAsFront(); err != nil {
		return report(err, stderr)
	}
	args = completionArgs(shims.Invoked(args)) // a shim linked to the core, where tbx has no front
	s := &Streams{In: stdin, Out: stdout, Err: stderr}
	return report(run(args, &app{streams: s, deps: realDeps()}), stderr)
}

// sameBuildAsFront checks that the front that handed this call over (it
// says its build in version.FrontVar) is of this core's build, and forgets
// the variable, which is the front's and the core's alone: a front and a
// core of different builds would act half one way and half the other.
func sameBuildAsFront() error {
	frontBuild, ok := os.LookupEnv(version.FrontVar)
	if !ok {
		return nil // the core run by itself
	}
	_ = os.Unsetenv(version.FrontVar)
	if frontBuild == version.ID() {
		return nil
	}
	core, _ := os.Executable()
	return exit.Errorf(exit.Failed, "%s (build %s) and %s (build %s) are of different builds; install tbx whole (scripts/install.sh in a tbx checkout)",
		front.NextTo(core), frontBuild, core, version.ID())
}

// completionArgs keeps a completion request from running its command: a
// "--" typed before <Tab> would end flag parsing, and the command would
// run instead of being completed. "-" asks for the flags just as well.
func completionArgs(args []string) []string {
	n := len(args)
	if n >= 2 && args[n-1] == "--generate-bash-completion" && args[n-2] == "--" {
		args = append(append([]string{}, args[:n-2]...), "-", args[n-1])
	}
	return args
}

// report says err on stderr, in one line whatever the Engine's message
// looked like, and returns its exit code: the one place errors become codes.
func report(err error, stderr io.Writer) int {
	if err != nil && !exit.Silent(err) {
		msg := strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(err.Error())
		fmt.Fprintf(stderr, "tbx: %s\n", strings.TrimSpace(msg))
	}
	return exit.Code(err)
}

// app is one run of tbx: its streams and what it reaches outside.
type app struct {
	streams    *Streams
	deps       deps
	engineHost string       // where the Engine client points, once made
	where      engine.Where // where the flags and variables say the Engine is
	signals    *signals.Router
	seams      seams    // a test's stand-ins for what commands do
	args       []string // the command line, for completion
}

func run(args []string, a *app) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v; please report it", r)
		}
	}()
	a.args = args
	router, ctx := signals.Start(context.Background())
	defer router.Stop()
	a.signals = router
	err = engine.Explain(a.cli().RunContext(ctx, args), a.engineHost)
	if sig := router.Interrupted(); sig != 0 && err != nil && !exit.Silent(err) {
		// Stopped before its command ran: exit as if killed by the signal.
		return exit.Errorf(128+int(sig), "stopped by %s before the command ran; nothing was left behind", stoppedBy(sig))
	}
	return err
}

func (a *app) cli() *ucli.App {
	s := a.streams
	app := &ucli.App{
		Name:                 "tbx",
		Usage:                "run a team's pinned DevOps tools in throwaway containers",
		Version:              versionName(),
		Writer:               s.Out,
		ErrWriter:            s.Err,
		EnableBashCompletion: true,
		Flags:                globalFlags(),
		Commands:             a.commands(),
		ExitErrHandler:       func(*ucli.Context, error) {},
		Before:               forgetRoutes,
		OnUsageError:         usageError,
		Action:               unknownCommand,
	}
	app.BashComplete = flagValues(a.args, ucli.DefaultAppComplete)
	for _, c := range app.Commands {
		// `tbx build h` builds the tool named h: a command's help is
		// --help, never a word that could be a tool's name.
		c.HideHelpCommand = len(c.Subcommands) == 0
		c.OnUsageError = usageError
		if c.BashComplete == nil {
			c.BashComplete = ucli.DefaultCompleteWithFlags(c)
		}
		c.BashComplete = flagValues(a.args, c.BashComplete)
	}
	return app
}

// forgetRoutes clears the routes of tbx's front before every command that
// may change what a run does (a build, a pull, trust, gc, ...): the next
// calls go the whole way, and make new ones.
func forgetRoutes(c *ucli.Context) error {
	switch c.Args().First() {
	case "", "run", "shim", "ls", "doctor", "help", "version", "completion", front.SpareCommand:
		return nil
	}
	if state, err := stateDir(); err == nil {
		_ = route.Clear(state)
	}
	return nil
}

func globalFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "file", Aliases: []string{"f"}, EnvVars: []string{"TBX_FILE"}, Usage: "the recipe (default: the nearest toolbox.toml upwards)"},
		&ucli.BoolFlag{Name: "debug", EnvVars: []string{"TBX_DEBUG"}, Usage: "say on stderr what each container is made of (variable names, never values)"},
		&ucli.BoolFlag{Name: "trust", Usage: "trust the recipe for this one command (for a script whose recipe was reviewed)"},
		&ucli.StringFlag{Name: "progress", EnvVars: []string{"TBX_PROGRESS"}, Value: "auto", Usage: "progress output: auto, tty or plain"},
		&ucli.StringFlag{Name: "host", Aliases: []string{"H"}, Usage: "the Engine to use, as for docker --host (default: DOCKER_HOST, else the context)"},
		&ucli.StringFlag{Name: "context", Usage: "the docker context to use, as for docker --context (default: DOCKER_CONTEXT, else the current context)"},
	}
}

func (a *app) commands() []*ucli.Command {
	cmds := a.commandList()
	for _, c := range cmds {
		switch c.Name {
		case "run":
			c.BashComplete = completeCommands
		case "shell", "build", "pull", "prepare", "push":
			c.BashComplete = toolsOrFlags(c)
		}
	}
	return cmds
}

func (a *app) commandList() []*ucli.Command {
	return []*ucli.Command{
		runCommand(a),
		shellCommand(a),
		initCommand(a),
		shimsCommand(a),
		shimCommand(a),
		lsCommand(a),
		buildCommand(a),
		pullCommand(a),
		prepareCommand(a),
		pushCommand(a),
		lockCommand(a),
		trustCommand(a),
		untrustCommand(a),
		gcCommand(a),
		doctorCommand(a),
		versionCommand(a),
		completionCommand(a),
		spareCommand(a),
	}
}

func usageError(c *ucli.Context, err error, _ bool) error {
	name := "tbx"
	if c.Command != nil && c.Command.Name != "" && c.Command.Name != c.App.Name {
		name += " " + c.Command.Name
	}
	return exit.Errorf(exit.Failed, "%v; see `%s --help`", err, name)
}

func unknownCommand(c *ucli.Context) error {
	if c.NArg() == 0 {
		return ucli.ShowAppHelp(c)
	}
	name := c.Args().First()
	var names []string
	for _, cmd := range c.App.Commands {
		if !cmd.Hidden {
			names = append(names, cmd.Name)
		}
	}
	sort.Strings(names)
	if near := suggest.Nearest(name, names); near != "" {
		return exit.Errorf(exit.Failed, "unknown command %q; did you mean `tbx %s`? (commands: %s)", name, near, strings.Join(names, ", "))
	}
	return exit.Errorf(exit.Failed, "unknown command %q; commands: %s (see `tbx --help`)", name, strings.Join(names, ", "))
}

// stoppedBy names the signals that stop tbx before its command runs.
func stoppedBy(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGINT:
		return "Ctrl-C (SIGINT)"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "a hangup (SIGHUP)"
	}
	return sig.String()
}
