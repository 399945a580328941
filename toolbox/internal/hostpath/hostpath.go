// Package hostpath holds a host path as tbx checked it, for a bind mount
// the Engine makes later: opened with no symbolic link anywhere on its way
// (the path given is the real path that trust recorded), and identified by
// its device and inode, so that the container's helper can check, before
// any command starts, that the Engine mounted that same file or directory
// and not what a symbolic link swapped in since pointed to.
package hostpath

import (
	"errors"
	"os"
)

// Held is a host path held open while a container that mounts it starts:
// its inode cannot be reused meanwhile.
type Held struct {
	Path     string
	Dev, Ino uint64
	f        *os.File
}

// ErrUnsupported says that this system cannot hold a path so.
var ErrUnsupported = errors.New("holding a host path needs Linux")

// Close lets the path go.
func (h *Held) Close() error {
	if h == nil || h.f == nil {
		return nil
	}
	return h.f.Close()
}
