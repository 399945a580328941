//go:build !windows

package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A hostile clone's file is read only when it is a regular file under the
// cap; a FIFO answers at once, a directory and a huge file are refused,
// and a file that leads out of its directory is refused where that
// matters.
func TestReadRefusesWhatIsNotASmallRegularFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	fifo := filepath.Join(dir, "fifo")
	big := filepath.Join(dir, "big")
	outside := filepath.Join(t.TempDir(), "secret")
	link := filepath.Join(dir, "link")
	err := errors.Join(os.WriteFile(file, []byte("ok"), 0o644), syscall.Mkfifo(fifo, 0o644),
		os.WriteFile(big, make([]byte, 11), 0o644), os.WriteFile(outside, []byte("s"), 0o644), os.Symlink(outside, link))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := Read(file, 10); err != nil || string(b) != "ok" {
		t.Errorf("a small file: %q %v", b, err)
	}
	done := make(chan error, 1)
	go func() { _, err := Read(fifo, 10); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("a FIFO: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("reading a FIFO blocks")
	}
	if _, err := Read(dir, 10); !errors.Is(err, ErrNotRegular) {
		t.Errorf("a directory: %v", err)
	}
	if _, err := Read(big, 10); !errors.Is(err, ErrTooBig) {
		t.Errorf("a file over the cap: %v", err)
	}
	if _, err := ReadWithin(dir, link, 10); !errors.Is(err, ErrOutside) {
		t.Errorf("a link out of the directory: %v", err)
	}
	if _, err := ReadChecked(file, 10, func(os.FileInfo) error { return errors.New("not yours") }); err == nil {
		t.Error("a check that refuses was ignored")
	}
}
