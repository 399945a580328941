//go:build linux

package hostpath

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenHoldsTheCheckedPathAndRefusesLinks(t *testing.T) {
	dir := t.TempDir()
	real, _ := filepath.EvalSymlinks(dir)
	data := filepath.Join(real, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	h, err := Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	fi, _ := os.Stat(data)
	if h.Ino == 0 || h.Ino != inode(fi) {
		t.Errorf("held inode %d; the directory's is %d", h.Ino, inode(fi))
	}
	// The same name, now a symbolic link to /: refused, by either way of
	// opening.
	if err := os.Rename(data, data+".was"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/", data); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(data); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("a path that is now a link: %v", err)
	}
	if _, err := walk(data); err == nil {
		t.Error("walk followed a link")
	}
	if _, err := Open(filepath.Join(data, "etc")); err == nil {
		t.Error("a path through a link was held")
	}
	if _, err := Open("relative"); err == nil {
		t.Error("a relative path was held")
	}
	if fd, err := walk(data + ".was"); err != nil {
		t.Errorf("walk of a plain directory: %v", err)
	} else {
		os.NewFile(uintptr(fd), "").Close()
	}
}
