package route

import "github.com/tbx-dev/tbx/toolbox/internal/safefile"

// readOwn reads the route file at path when it is a regular file.
func readOwn(path string, _ int) ([]byte, error) {
	return safefile.Read(path, maxSize)
}
