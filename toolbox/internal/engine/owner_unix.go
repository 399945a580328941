//go:build !windows

package engine

import (
	"os"
	"syscall"
)

// ownedBy reports whether the socket at path belongs to uid, who is not
// root: only a rootless Engine serves such a socket.
func ownedBy(path string, uid int) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && uid != 0 && int(st.Uid) == uid
}
