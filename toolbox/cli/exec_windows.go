package cli

import (
	"errors"
	"os"
	"os/exec"

	"github.com/tbx-dev/tbx/toolbox/internal/exit"
)

// replaceWith runs bin in tbx's place: Windows cannot replace a process,
// so it runs as a child with tbx's streams, and its exit code is tbx's.
func replaceWith(bin string, args []string) error {
	cmd := exec.Command(bin, args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		return exit.Status(ee.ExitCode())
	}
	return exit.Errorf(exit.CannotInvoke, "%s: cannot run %s: %v", args[0], bin, err)
}
