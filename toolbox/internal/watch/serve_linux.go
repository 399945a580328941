package watch

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/tbx-dev/tbx/toolbox/internal/route"
)

// What the watcher hears of each directory: any entry's change of content
// or metadata, arrival, removal or rename, and the directory's own end.
const mask = unix.IN_MODIFY | unix.IN_ATTRIB | unix.IN_CLOSE_WRITE | unix.IN_CREATE | unix.IN_DELETE |
	unix.IN_MOVED_FROM | unix.IN_MOVED_TO | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF

// Serve is the watcher of key, `tbx __watch STATE KEY`: it watches the
// paths the core listed, checks that they are still as the route stamped
// them (key is the digest of those stamps), then vouches for them until
// one changes, or until it has had no call for Idle. It returns its exit
// code; a second watcher of the same key leaves at once.
func Serve(state, key string) int {
	lock, err := os.OpenFile(lockFile(state, key), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return 1
	}
	defer lock.Close()
	if syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return 0 // another watches these
	}
	defer forget(state, key, lock) // vouches no more
	w, err := newWatcher(state, key)
	if err != nil {
		return 1
	}
	defer unix.Close(w.fd)
	if route.Digest(route.StampsOf(w.paths)) != key {
		return 0 // changed before the watch began: the next call goes to the core
	}
	if _, err := lock.WriteAt([]byte(ready), 0); err != nil {
		return 1
	}
	w.run()
	return 0
}

// watcher is an inotify instance on the directories of a list of paths.
type watcher struct {
	fd      int
	paths   []string
	listed  map[string]bool // the paths, for the changes of a file's content
	dirs    map[int]string  // watch descriptor → directory
	cookies int             // the watch descriptor of the cookies' directory
	jar     string          // the cookies' directory
}

func newWatcher(state, key string) (*watcher, error) {
	b, err := os.ReadFile(listFile(state, key))
	if err != nil {
		return nil, err
	}
	w := &watcher{listed: map[string]bool{}, dirs: map[int]string{}, jar: cookieDir(state, key)}
	if err := json.Unmarshal(b, &w.paths); err != nil {
		return nil, err
	}
	if w.fd, err = unix.InotifyInit1(unix.IN_CLOEXEC); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cookieDir(state, key), 0o700); err != nil {
		unix.Close(w.fd)
		return nil, err
	}
	if w.cookies, err = unix.InotifyAddWatch(w.fd, cookieDir(state, key), unix.IN_CREATE); err != nil {
		unix.Close(w.fd)
		return nil, err
	}
	seen := map[string]bool{}
	for _, p := range w.paths {
		w.listed[p] = true
		for _, dir := range []string{p, filepath.Dir(p)} {
			if seen[dir] {
				continue
			}
			seen[dir] = true
			if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() {
				continue
			}
			wd, err := unix.InotifyAddWatch(w.fd, dir, mask|unix.IN_DONT_FOLLOW|unix.IN_ONLYDIR)
			if err != nil {
				unix.Close(w.fd)
				return nil, err // too many watches: the front stamps the files
			}
			w.dirs[wd] = dir
		}
	}
	return w, nil
}

// run reads events until one changes a listed path, or until Idle passes
// with no cookie; each cookie is answered by its removal, in the order of
// the events before it.
func (w *watcher) run() {
	buf := make([]byte, 64<<10)
	for {
		fds := []unix.PollFd{{Fd: int32(w.fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(Idle/time.Millisecond))
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return // idle, or broken
		}
		got, err := unix.Read(w.fd, buf)
		if err != nil || got <= 0 {
			return
		}
		if w.changed(buf[:got]) {
			return
		}
	}
}

// changed reads a batch of events, answering cookies, and reports whether
// one of them changes what the route stamped.
func (w *watcher) changed(b []byte) bool {
	for len(b) >= unix.SizeofInotifyEvent {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&b[0]))
		end := unix.SizeofInotifyEvent + int(ev.Len)
		if end > len(b) {
			return true
		}
		name := strings.TrimRight(string(b[unix.SizeofInotifyEvent:end]), "\x00")
		b = b[end:]
		switch {
		case ev.Mask&unix.IN_Q_OVERFLOW != 0:
			return true // events were lost
		case int(ev.Wd) == w.cookies:
			_ = os.Remove(filepath.Join(w.jar, name)) // every event before it has been read: nothing changed
		default:
			if w.matters(int(ev.Wd), ev.Mask, name) {
				return true
			}
		}
	}
	return false
}

// matters reports whether an event changes a stamp: a directory's own end,
// an entry that arrives, goes or is renamed (the directory's times
// change), or the content or metadata of a listed file. A file the build
// is not given (ignored) may change within a listed directory.
func (w *watcher) matters(wd int, m uint32, name string) bool {
	dir, ok := w.dirs[wd]
	if !ok {
		return m&unix.IN_IGNORED == 0
	}
	if m&(unix.IN_DELETE_SELF|unix.IN_MOVE_SELF|unix.IN_IGNORED|unix.IN_CREATE|unix.IN_DELETE|unix.IN_MOVED_FROM|unix.IN_MOVED_TO) != 0 {
		return true
	}
	return name == "" || w.listed[filepath.Join(dir, name)]
}

// forget says the watcher vouches no more, and removes its files: a call
// then stamps the files itself, and the core starts a new watcher.
func forget(state, key string, lock *os.File) {
	_ = lock.Truncate(0)
	_ = os.Remove(listFile(state, key))
	_ = os.RemoveAll(cookieDir(state, key))
	_ = os.Remove(lockFile(state, key))
}
