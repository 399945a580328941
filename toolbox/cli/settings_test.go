package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Build locks live in a directory of the user's own, never in a shared
// place another user could make first: without a cache directory, in
// tbx's state directory.
func TestBuildLocksAreTheUsersOwn(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "")
	state := filepath.Join(t.TempDir(), "state", "tbx")
	hashes, locks := cacheDirs(state)
	if hashes != "" || locks != filepath.Join(state, "locks") || strings.HasPrefix(locks, os.TempDir()+"/tbx-locks") {
		t.Errorf("without a cache directory: hashes %q, locks %q; want none, and %s/locks", hashes, locks, state)
	}
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	if _, locks := cacheDirs(state); locks != filepath.Join(cache, "tbx", "locks") {
		t.Errorf("with XDG_CACHE_HOME: locks %q", locks)
	}
}
