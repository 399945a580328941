//go:build !windows

package cli

import (
	"os"
	"syscall"

	"github.com/tbx-dev/tbx/toolbox/internal/exit"
)

// replaceWith replaces tbx with bin, as if the shim had been bin all along.
func replaceWith(bin string, args []string) error {
	err := syscall.Exec(bin, args, os.Environ())
	return exit.Errorf(exit.CannotInvoke, "%s: cannot run %s: %v", args[0], bin, err)
}
