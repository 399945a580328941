package recipe

import (
	"path/filepath"

	"github.com/tbx-dev/tbx/toolbox/internal/safefile"
)

// Within reports whether path is dir or lies below it, by their names.
func Within(dir, path string) bool { return safefile.IsWithin(dir, path) }

// RealPath resolves the symlinks in p, so that two names of one file
// compare equal; p stays as it is when it cannot be resolved.
func RealPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}
