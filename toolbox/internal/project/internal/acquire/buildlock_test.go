package acquire

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// A build lock's directory is the user's alone: one that others can write
// is taken back before any lock is taken in it.
func TestBuildLockDirectoryIsTheUsersAlone(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locks")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	unlock, err := buildLock(context.Background(), dir, "k")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the locks' directory after a lock: %v, %v; want 0700", fi.Mode(), err)
	}
}
