// Package safefile reads the files a project brings (its recipe, lock,
// Dockerfiles and ignore files) as a hostile clone may have made them: only
// regular files, never blocking on a FIFO or a device, under a size cap, and
// where asked, only when the file really lies inside a given directory.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// MaxSize is the cap tbx puts on every project file it reads: far beyond
// any real recipe, lock, Dockerfile or ignore file.
const MaxSize = 1 << 20

// ErrNotRegular is returned for a FIFO, a device, a socket or a directory.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooBig is returned for a file over the cap.
var ErrTooBig = errors.New("too big")

// ErrOutside is returned for a file that resolves outside its directory.
var ErrOutside = errors.New("outside")

// Read returns the bytes of the regular file at path, at most max of them.
// Opening with O_NONBLOCK means a FIFO answers at once instead of waiting
// for a writer; the descriptor is then checked to be a regular file.
func Read(path string, max int64) ([]byte, error) {
	return ReadChecked(path, max, nil)
}

// ReadChecked is Read, with check (when not nil) also asked of the
// opened file before anything is read from it.
func ReadChecked(path string, max int64, check func(fs.FileInfo) error) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := Check(fi, max); err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(fi); err != nil {
			return nil, err
		}
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, ErrTooBig
	}
	return b, nil
}

// Check says whether fi is a regular file of at most max bytes.
func Check(fi fs.FileInfo, max int64) error {
	switch {
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%w (%s)", ErrNotRegular, kind(fi.Mode()))
	case fi.Size() > max:
		return fmt.Errorf("%w: %d bytes, at most %d", ErrTooBig, fi.Size(), max)
	}
	return nil
}

// ReadWithin is Read for a file that must lie inside dir once every
// symbolic link on its way is followed.
func ReadWithin(dir, path string, max int64) ([]byte, error) {
	real, err := Within(dir, path)
	if err != nil {
		return nil, err
	}
	return Read(real, max)
}

// Within resolves path and says whether it stays inside dir (both by their
// real paths); it returns the real path.
func Within(dir, path string) (string, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", err
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	if !IsWithin(realDir, real) {
		return real, fmt.Errorf("%w %s: it leads to %s", ErrOutside, realDir, real)
	}
	return real, nil
}

// IsWithin reports whether path is dir or below it, lexically.
func IsWithin(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "not a regular file"
}
