//go:build linux

package helper

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// The command's environment is an exec's: the container's, TERM on a
// terminal, the run's own over both.
func TestMergeEnv(t *testing.T) {
	got := mergeEnv([]string{"PATH=/bin", "HOME=/root", "A=1"}, []string{"HOME=/home/ann", "B=2"}, true)
	if want := []string{"PATH=/bin", "HOME=/home/ann", "A=1", "TERM=xterm", "B=2"}; !slices.Equal(got, want) {
		t.Errorf("%v; want %v", got, want)
	}
	if got := mergeEnv([]string{"TERM=dumb"}, nil, true); !slices.Equal(got, []string{"TERM=dumb"}) {
		t.Errorf("the container's TERM: %v", got)
	}
}

func TestLookPathFollowsTheRunsPATH(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tool"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if p, err := lookPath("tool", []string{"PATH=/nowhere:" + dir}); err != nil || p != filepath.Join(dir, "tool") {
		t.Errorf("%q %v", p, err)
	}
	if _, err := lookPath("tool", []string{"PATH=/nowhere"}); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("a command on no directory of PATH: %v", err)
	}
	if p, _ := lookPath("./rel/x", nil); p != "./rel/x" {
		t.Errorf("a path is taken as it is: %q", p)
	}
}

// A process's parent is read past its name, which may hold spaces and
// parentheses.
func TestParentOf(t *testing.T) {
	if ppid, err := parentOf(os.Getpid()); err != nil || ppid != os.Getppid() {
		t.Errorf("%d %v; want %d", ppid, err, os.Getppid())
	}
	if kids := children(os.Getppid()); !slices.Contains(kids, os.Getpid()) {
		t.Errorf("this process is not among its parent's children: %v", kids)
	}
}

// The mounts are checked by device and inode: the same directory passes,
// another one (a link swapped in) or a missing target refuses.
func TestVerifyMounts(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		t.Fatal(err)
	}
	want := Mount{Target: dir, Dev: uint64(st.Dev), Ino: st.Ino}
	if err := verifyMounts([]Mount{want}); err != nil {
		t.Errorf("the checked directory: %v", err)
	}
	swapped := want
	swapped.Target = other
	if err := verifyMounts([]Mount{swapped}); err == nil || !strings.Contains(err.Error(), "not the host path tbx checked") {
		t.Errorf("another directory: %v", err)
	}
	gone := want
	gone.Target = filepath.Join(dir, "gone")
	if err := verifyMounts([]Mount{gone}); err == nil {
		t.Error("a missing target passed")
	}
}
