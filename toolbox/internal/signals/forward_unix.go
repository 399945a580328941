//go:build !windows

package signals

import (
	"os"
	"syscall"
)

// Forwarded reports whether sig goes to the command: all but the runtime's
// own (SIGCHLD, SIGURG), a resize (SIGWINCH) and SIGPIPE, which is about
// tbx's own output.
func Forwarded(sig syscall.Signal) bool {
	switch sig {
	case syscall.SIGCHLD, syscall.SIGURG, syscall.SIGWINCH, syscall.SIGPIPE:
		return false
	}
	return true
}

// common are the signals people and programs send a command, taken first.
var common = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2,
	syscall.SIGWINCH, syscall.SIGTSTP, syscall.SIGCONT, syscall.SIGALRM, syscall.SIGPIPE, syscall.SIGTTIN, syscall.SIGTTOU}
