//go:build !windows

package front

import (
	"fmt"
	"os"
	"syscall"

	"github.com/tbx-dev/tbx/toolbox/internal/version"
)

// Core replaces the front with tbx's core, given the same arguments and
// environment; it returns only when the core cannot start.
func Core(args []string) int {
	path, err := corePath()
	if err == nil {
		err = syscall.Exec(path, args, append(os.Environ(), version.FrontVar+"="+version.ID()))
	}
	fmt.Fprintf(os.Stderr, "tbx: %v\n", err)
	return 125
}
