package front

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"

	"github.com/tbx-dev/tbx/toolbox/internal/version"
)

// Core runs tbx's core with the same arguments, streams and environment,
// and returns its exit code: Windows cannot replace a process.
func Core(args []string) int {
	path, err := corePath()
	if err != nil {
		fmt.Fprintf(os.Stderr, "tbx: %v\n", err)
		return 125
	}
	signal.Ignore(os.Interrupt) // Ctrl-C reaches the core too, which handles it
	cmd := exec.Command(path, args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), version.FrontVar+"="+version.ID())
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "tbx: %v\n", err)
		return 125
	}
	return 0
}
