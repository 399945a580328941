//go:build linux

package hostpath

import (
	"io/fs"
	"syscall"
)

func inode(fi fs.FileInfo) uint64 { return fi.Sys().(*syscall.Stat_t).Ino }
