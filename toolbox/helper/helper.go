// Package helper is what tbx runs inside a container, the side of the
// container boundary its name says: tbx-warm (or tbx itself), mounted
// read-only, run in a hidden mode. In a throwaway container it starts the
// command (start: the mounts checked, the terminal sized). As a warm
// container's PID 1 (init) it checks the mounts, serves the helper's socket,
// reaps orphans and stops the container once no run has been in it for its
// idle time; each run's reaper (reap) or exec (exec) starts the command,
// ends what it left, and returns its exit status the way a throwaway
// container does. It talks to nothing but the kernel. The host's side of
// warm containers is the runner's.
package helper

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/tbx-dev/tbx/toolbox/internal/helperspec"
)

// What the helper shares with tbx (package helperspec), as its own code
// names it.
const (
	Command = helperspec.Command
	BinPath = helperspec.BinPath
	State   = helperspec.State
	Sealed  = helperspec.Sealed
	Direct  = helperspec.Direct
	Retry   = helperspec.Retry
	EnvTool = helperspec.EnvTool
)

// Spec and Mount are helperspec's.
type (
	Spec  = helperspec.Spec
	Mount = helperspec.Mount
)

// The helper's own files and times.
const (
	lock    = State + "/lock"        // shared by runs, exclusive to stop; made once the mounts are checked
	refused = State + "/refused"     // the mounts are not what tbx checked: why
	closing = State + "/closing"     // PID 1 is stopping: runs must go elsewhere
	since   = State + "/idle-since"  // when the last run ended, unix seconds
	poll    = 200 * time.Millisecond // how often PID 1 looks for runs
	grace   = time.Second            // between closing and stopping
	notInit = "the warm helper is tbx's own; it is not for use by hand"
)

// who is the tool and image the helper's container is of, from EnvTool;
// empty when tbx did not say.
var who struct{ raw, tool, image string }

// takeWho reads EnvTool into who and takes it out of the environment.
func takeWho() {
	who.raw = os.Getenv(EnvTool)
	who.tool, who.image, _ = strings.Cut(who.raw, " ")
	_ = os.Unsetenv(EnvTool)
}

// Main runs the helper mode named by args[0] and returns its exit code.
func Main(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "tbx:", notInit)
		return 125
	}
	takeWho()
	switch args[0] {
	case "init":
		return initMain(args[1:])
	case "exec":
		return execMain(args[1:])
	case "start":
		return startMain(args[1:])
	case "signal":
		return signalMain(args[1:])
	case "status":
		return statusMain()
	case "ran":
		return ranMain(args[1:])
	case "reap":
		return reapMain()
	}
	fmt.Fprintln(os.Stderr, "tbx:", notInit)
	return 125
}

func first(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}
