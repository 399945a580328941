//go:build !windows

package signals

import "syscall"

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
