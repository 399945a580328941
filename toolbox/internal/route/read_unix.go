//go:build !windows

package route

import (
	"errors"
	"io/fs"
	"syscall"

	"github.com/tbx-dev/tbx/toolbox/internal/safefile"
)

// readOwn reads the route file at path only when it is a regular file of
// uid's, opened without blocking (a FIFO answers at once).
func readOwn(path string, uid int) ([]byte, error) {
	return safefile.ReadChecked(path, maxSize, func(fi fs.FileInfo) error {
		if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != uid {
			return errors.New("a route that is not the caller's")
		}
		return nil
	})
}
