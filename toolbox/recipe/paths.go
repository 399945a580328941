package recipe

import (
	"path/filepath"
	"strings"
)

// Within reports whether path is dir or lies below it, by their names.
func Within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// RealPath resolves the symlinks in p, so that two names of one file
// compare equal; p stays as it is when it cannot be resolved.
func RealPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}
