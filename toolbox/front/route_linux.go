package front

import (
	"errors"
	"fmt"
	"os"

	"github.com/mattn/go-isatty"

	"github.com/tbx-dev/tbx/toolbox/internal/direct"
	"github.com/tbx-dev/tbx/toolbox/internal/route"
	"github.com/tbx-dev/tbx/toolbox/internal/signals"
	"github.com/tbx-dev/tbx/toolbox/internal/statedir"
	"github.com/tbx-dev/tbx/toolbox/internal/watch"
)

// tryRoute runs command with rest through its route, if it has a fresh one
// and its helper answers.
func tryRoute(command string, rest []string, router func() *signals.Router) (int, bool) {
	home, _ := os.UserHomeDir()
	state, err := statedir.Dir(os.Getenv("XDG_STATE_HOME"), home)
	if err != nil {
		return 0, false
	}
	cwd, err := os.Getwd()
	if err != nil {
		return 0, false
	}
	tty := isatty.IsTerminal(os.Stdin.Fd()) && isatty.IsTerminal(os.Stdout.Fd())
	call := route.Call{Cwd: cwd, Command: command, TTY: tty, Environ: os.Environ(), UID: os.Getuid(), GID: os.Getgid()}
	rt, err := route.Read(state, call)
	vouched := func(key string) bool { return watch.Vouches(state, key) }
	if err != nil || !rt.Fresh(call, vouched) || rt.NamesHostPaths(append([]string{command}, rest...), cwd) {
		return 0, false
	}
	conn, err := direct.Dial(rt.Socket)
	if err != nil {
		return 0, false // the warm container has ended
	}
	if conn.CheckServer(rt.Server) != nil {
		conn.Close()
		return 0, false // another helper, or not one: the core asks the Engine which
	}
	req := rt.Request
	req.Argv = append(append(append([]string{}, rt.Prefix...), command), rest...)
	req.TTY = tty
	host, _ := os.Hostname()
	req.Launcher = direct.Launcher(os.Getpid(), host)
	code, err := conn.Run(req, direct.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, router())
	var refused *direct.RefusedError
	switch {
	case errors.As(err, &refused), errors.Is(err, direct.ErrNotStarted):
		return 0, false // it did not run: the core runs it
	case err != nil:
		fmt.Fprintf(os.Stderr, "tbx: %v\n", err)
		return 125, true
	}
	if rt.Spare != "" {
		if core, err := corePath(); err == nil {
			MakeSpare(core, state, rt.Spare, command, tty, nil) // the run is over: off the caller's path
		}
	}
	return code, true
}
