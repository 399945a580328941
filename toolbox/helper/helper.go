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
)

// Where the helper lives in a warm container.
const (
	Command = "__warm"               // the hidden first argument of tbx
	BinPath = "/run/tbx-warm/tbx"    // the tbx binary, mounted read-only
	State   = "/run/tbx-warm/state"  // a tmpfs: the lock, the pids of runs
	Sealed  = "/run/tbx-warm/sealed" // a tmpfs of root's alone: what no command may reach
	Direct  = Sealed + "/direct"     // the caller's directory of the helper's socket
	lock    = State + "/lock"        // shared by runs, exclusive to stop; made once the mounts are checked
	refused = State + "/refused"     // the mounts are not what tbx checked: why
	closing = State + "/closing"     // PID 1 is stopping: runs must go elsewhere
	since   = State + "/idle-since"  // when the last run ended, unix seconds
	Retry   = 222                    // an exec that came too late, or a command that exited 222: `ran` tells which
	poll    = 200 * time.Millisecond // how often PID 1 looks for runs
	grace   = time.Second            // between closing and stopping
	notInit = "the warm helper is tbx's own; it is not for use by hand"
)

// Retire is the signal, as the Engine names it, that asks a warm
// container's PID 1 to take no new run and go once no run is in it (a
// spare: now, if no run has claimed it; a claimed one goes at its run's
// end as ever): what a spare's maker and untrust send, so that no run in
// flight is ever ended by another tbx.
const Retire = "SIGUSR2"

// Argv is the command line that runs the helper in a warm container in
// mode ("init", "exec", "signal", "status" or "ran"; "start" in a
// throwaway container; "reap" is PID 1's own) with args: what Main reads.
func Argv(mode string, args ...string) []string {
	return append([]string{BinPath, Command, mode}, args...)
}

// EnvTool is the variable by which tbx tells the helper which tool and
// image its container is of ("TOOL IMAGE"), for its messages: the helper
// takes it out of its environment as it starts, so no command sees it.
const EnvTool = "TBX_HELPER_TOOL"

// ToolEnv is the EnvTool entry of a container of tool's image.
func ToolEnv(tool, image string) string { return EnvTool + "=" + tool + " " + image }

// who is the tool and image the helper's container is of, from EnvTool;
// empty when tbx did not say.
var who struct{ raw, tool, image string }

// takeWho reads EnvTool into who and takes it out of the environment.
func takeWho() {
	who.raw = os.Getenv(EnvTool)
	who.tool, who.image, _ = strings.Cut(who.raw, " ")
	_ = os.Unsetenv(EnvTool)
}

// Unrunnable says, as every start path says it, a command that did not
// start: missing (127) or not runnable (126), with what the runtime said,
// naming the tool and its image where they are known.
func Unrunnable(missing bool, tool, image, detail string) string {
	what, in := "command cannot be invoked", "in the image"
	if missing {
		what, in = "command not found in the image", ""
	}
	if tool == "" {
		return what + ": " + detail
	}
	return strings.Join(strings.Fields(fmt.Sprintf("tool %s: %s %s %s:", tool, what, in, image)), " ") + " " + detail
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
