//go:build !windows

package hashcache

import (
	"io/fs"
	"syscall"
)

// StatOf reads the Stat of fi, which must come from lstat or stat.
func StatOf(fi fs.FileInfo) (Stat, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return Stat{}, false
	}
	return Stat{
		Size:  fi.Size(),
		ModNs: fi.ModTime().UnixNano(),
		CtNs:  changeTime(st),
		Ino:   st.Ino,
		Dev:   uint64(st.Dev),
		Mode:  uint32(fi.Mode()),
	}, true
}
