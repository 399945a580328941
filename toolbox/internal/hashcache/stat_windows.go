package hashcache

import "io/fs"

// StatOf reads the Stat of fi. Windows has no inode or change time in a
// FileInfo, so nothing is remembered there: every file is read.
func StatOf(fs.FileInfo) (Stat, bool) {
	return Stat{}, false
}
