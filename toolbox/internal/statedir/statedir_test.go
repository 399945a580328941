package statedir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The state lives under XDG_STATE_HOME when it is an absolute path, else
// under the home; with neither there is none, said with what to set.
func TestDirFollowsXDG(t *testing.T) {
	for _, tc := range []struct{ xdg, home, want, err string }{
		{"/x/state", "/home/me", "/x/state/tbx", ""},
		{"relative/state", "/home/me", "/home/me/.local/state/tbx", ""},
		{"", "/home/me", "/home/me/.local/state/tbx", ""},
		{"", "", "", "set HOME, or XDG_STATE_HOME"},
	} {
		got, err := Dir(tc.xdg, tc.home)
		if got != tc.want || (tc.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Dir(%q, %q) = %q, %v", tc.xdg, tc.home, got, err)
		}
	}
}

// Mkdir leaves the directory the user's alone, one that others could read
// or write before included.
func TestMkdirTakesOthersAccessAway(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	if err := Mkdir(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := Mkdir(dir); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("mode %v, %v; want 0700", fi.Mode().Perm(), err)
	}
}
