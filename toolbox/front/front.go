// Package front is where every tbx call starts. A warm command whose route
// is fresh (see package route) starts at once through its helper's socket,
// with no recipe read and no Engine call; every other call goes to tbx's
// core, the tbx-core binary next to tbx, which does the whole work and
// remembers the route for the next call. The front links none of the
// core's libraries, so that it starts in a few milliseconds.
package front

import (
	"context"
	"os"
	"strings"
	"sync"

	"github.com/tbx-dev/tbx/toolbox/internal/shims"
	"github.com/tbx-dev/tbx/toolbox/internal/signals"
	"github.com/tbx-dev/tbx/toolbox/internal/watch"
)

// Main is tbx's front given its command line (os.Args): a watcher when
// asked for one, a call its route runs, or else the core. A call through
// a shim, a link to tbx named for its command, is `tbx shim COMMAND …`.
func Main(args []string) int {
	args = shims.Invoked(args)
	if code, ok := Watcher(args); ok {
		return code
	}
	if code, ok := Try(args); ok {
		return code
	}
	return Core(args)
}

// Try runs the call args (os.Args) through its route when one serves it,
// and returns the command's exit code; handled is false when the call must
// go to the core. A call stopped by a signal before its command started
// is handled: it exits 128+n.
func Try(args []string) (code int, handled bool) {
	command, ok := routable(args)
	if !ok {
		return 0, false
	}
	// The signals are taken while the route is read and checked: until
	// the request is sent, one that stops tbx stops it as it would stop a
	// local program that had not started yet. From the request on, each is
	// the command's.
	started := make(chan *signals.Router, 1)
	go func() {
		r, _ := signals.Start(context.Background())
		started <- r
	}()
	router := sync.OnceValue(func() *signals.Router { return <-started })
	code, handled = tryRoute(command, args[3:], router)
	if handled {
		// The command has ended and tbx exits now, with its code: giving
		// sixty signals back to their defaults first (a system call each)
		// would only delay that, and a signal in between is one that came
		// after the command.
		return code, true
	}
	router().Stop() // a signal from now on has its default effect: it stops tbx
	if sig := router().Interrupted(); sig != 0 {
		return 128 + int(sig), true
	}
	return code, false
}

// Watcher runs the watcher of a route's build files when args (os.Args)
// ask for one (`tbx __watch STATE KEY`, which the core starts); handled is
// false for every other call.
func Watcher(args []string) (code int, handled bool) {
	if len(args) != 4 || args[1] != watch.Command {
		return 0, false
	}
	return watch.Serve(args[2], args[3]), true
}

// completion is the last argument of a shell's completion request, which
// the core answers.
const completion = "--generate-bash-completion"

// routable says whether args are a call a route may serve: `run COMMAND
// ARGS...` or a shim's `shim COMMAND ARGS...`, with none of the settings
// that only the core reads, and not a completion request.
func routable(args []string) (string, bool) {
	if len(args) < 3 || args[1] != "run" && args[1] != "shim" || strings.HasPrefix(args[2], "-") || args[len(args)-1] == completion {
		return "", false
	}
	for _, v := range []string{"TBX_DEBUG", "TBX_FILE"} {
		if os.Getenv(v) != "" {
			return "", false
		}
	}
	return args[2], true
}
