package watch

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/moby/sys/atomicwriter"
)

// answerWait bounds how long a call waits for a watcher to answer its
// cookie; past it, the call stamps the files itself.
const answerWait = 50 * time.Millisecond

// Vouches reports whether a live watcher of key says that none of the
// files it watches changed before this call: it says ready, holds its
// lock, and removes this call's cookie, which it does only once it has
// read every event before the cookie's own.
func Vouches(state, key string) bool {
	lock, err := os.Open(lockFile(state, key))
	if err != nil {
		return false
	}
	defer lock.Close()
	if !saysReady(lock) || !held(lock) {
		return false
	}
	cookie := filepath.Join(cookieDir(state, key), newName())
	f, err := os.OpenFile(cookie, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return false
	}
	_ = f.Close()
	pause := 20 * time.Microsecond
	for deadline := time.Now().Add(answerWait); time.Now().Before(deadline); time.Sleep(pause) {
		if _, err := os.Lstat(cookie); errors.Is(err, os.ErrNotExist) {
			return saysReady(lock)
		}
		if !held(lock) {
			break // it saw a change, and left
		}
		pause = min(2*pause, time.Millisecond)
	}
	_ = os.Remove(cookie)
	return false
}

// saysReady reports whether the watcher's lock file says it vouches.
func saysReady(lock *os.File) bool {
	b := make([]byte, len(ready)+1)
	n, err := lock.ReadAt(b, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return false
	}
	return string(b[:n]) == ready
}

// held reports whether a watcher holds the lock.
func held(lock *os.File) bool {
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		return errors.Is(err, syscall.EWOULDBLOCK)
	}
	_ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	return false
}

func newName() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Start has a watcher watch paths, whose stamps' digest is key, unless one
// does: front is the tbx binary that watches (`tbx __watch`), started in
// a session of its own, with none of the caller's streams.
func Start(front, state, key string, paths []string) error {
	if err := os.MkdirAll(Dir(state), 0o700); err != nil {
		return err
	}
	if lock, err := os.Open(lockFile(state, key)); err == nil {
		live := held(lock)
		lock.Close()
		if live {
			return nil
		}
	}
	if err := writeList(state, key, paths); err != nil {
		return err
	}
	cmd := exec.Command(front, Command, state, key)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	return cmd.Process.Release()
}

// writeList writes the paths the watcher of key watches, whole.
func writeList(state, key string, paths []string) error {
	b, err := json.Marshal(paths)
	if err != nil {
		return err
	}
	return atomicwriter.WriteFile(listFile(state, key), b, 0o600)
}
