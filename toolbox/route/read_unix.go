//go:build !windows

package route

import (
	"errors"
	"io"
	"os"
	"syscall"

	"github.com/tbx-dev/tbx/toolbox/safefile"
)

// readOwn reads the route file at path only when it is a regular file of
// uid's, opened without blocking (a FIFO answers at once) and without
// following a symbolic link.
func readOwn(path string, uid int) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := safefile.Check(fi, maxSize); err != nil {
		return nil, err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != uid {
		return nil, errors.New("a route that is not the caller's")
	}
	return io.ReadAll(io.LimitReader(f, maxSize))
}
