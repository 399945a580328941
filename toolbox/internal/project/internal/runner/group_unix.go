//go:build !windows

package runner

import (
	"io/fs"
	"syscall"
)

// fileGroup is the group that owns fi.
func fileGroup(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Gid), true
}
