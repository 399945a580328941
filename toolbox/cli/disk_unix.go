//go:build !windows

package cli

import "syscall"

// freeDisk is the space free for users under dir, when dir is on this
// machine.
func freeDisk(dir string) (uint64, bool) {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		return 0, false
	}
	return fs.Bavail * uint64(fs.Bsize), true
}
