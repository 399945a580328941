//go:build !windows

package engine

import (
	"os"
	"syscall"
)

// ownedByCaller reports whether the socket at path belongs to the caller,
// who is not root: only a rootless Engine serves such a socket.
func ownedByCaller(path string) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	uid := os.Getuid()
	return ok && uid != 0 && int(st.Uid) == uid
}
