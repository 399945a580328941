package hostpath

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Open holds the real path p: every component is taken as it is, and a
// symbolic link on the way (one swapped in since p was checked) is an
// error naming it.
func Open(p string) (*Held, error) {
	if !filepath.IsAbs(p) {
		return nil, fmt.Errorf("holding %s: not an absolute path", p)
	}
	fd, err := openNoSymlinks(filepath.Clean(p))
	if errors.Is(err, unix.ELOOP) {
		return nil, fmt.Errorf("%s now leads through a symbolic link, not as it was checked", p)
	}
	if err != nil {
		return nil, fmt.Errorf("holding %s: %w", p, err)
	}
	f := os.NewFile(uintptr(fd), p)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, fmt.Errorf("holding %s: %w", p, err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		f.Close()
		return nil, fmt.Errorf("%s is now a symbolic link, not as it was checked", p)
	}
	return &Held{Path: p, Dev: uint64(st.Dev), Ino: st.Ino, f: f}, nil
}

// openNoSymlinks opens p with O_PATH, refusing any symbolic link on its
// way: in one call where the kernel has openat2 (5.6), else component by
// component.
func openNoSymlinks(p string) (int, error) {
	fd, err := unix.Openat2(unix.AT_FDCWD, p, &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC | unix.O_NOFOLLOW,
		Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	})
	if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EPERM) {
		return fd, err
	}
	return walk(p)
}

// walk opens p one component at a time, none of them followed if it is a
// symbolic link.
func walk(p string) (int, error) {
	fd, err := unix.Open("/", unix.O_PATH|unix.O_CLOEXEC|unix.O_DIRECTORY, 0)
	if err != nil {
		return -1, err
	}
	for _, name := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		if name == "" {
			continue
		}
		next, err := unix.Openat(fd, name, unix.O_PATH|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
		unix.Close(fd)
		if err != nil {
			return -1, err
		}
		var st unix.Stat_t
		if err := unix.Fstat(next, &st); err != nil || st.Mode&unix.S_IFMT == unix.S_IFLNK {
			unix.Close(next)
			return -1, unix.ELOOP
		}
		fd = next
	}
	return fd, nil
}
