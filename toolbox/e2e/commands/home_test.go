//go:build !windows

package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// home = [...] shares named entries of the caller's HOME with the tool, in
// its own HOME: read-only unless marked :rw; trust --show lists them; the
// rest of the tool's HOME stays its own. An entry made after trust, where
// it was named, needs no new trust.
func TestHomeEntriesReachTheTool(t *testing.T) {
	c := testenv.Engine(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("TBX_SPARE", "off")
	writeFiles(t, home, map[string]string{".kube/config": "kc\n", ".secret": "not shared\n"})
	dir, _ := runProject(t, c, "home = [\"~/.kube\", \"~/.cfg:rw\"]\n")
	r := mustTbxIn(t, dir, "trust", "--show")
	for _, want := range []string{"your " + filepath.Join(home, ".kube") + " at ~/.kube in its HOME, read-only", "your " + filepath.Join(home, ".cfg") + " at ~/.cfg in its HOME, read-write"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("trust --show does not list %q:\n%s", want, r.out)
		}
	}
	if r := sh(t, dir, "cat ~/.kube/config; cat ~/.secret 2>/dev/null || echo unshared"); r.code != 0 || r.out != "kc\nunshared\n" {
		t.Errorf("the tool's view of ~/.kube and of the rest: %+v", r)
	}
	if r := sh(t, dir, "touch ~/.kube/new"); r.code == 0 {
		t.Error("the tool wrote into a read-only entry of the caller's HOME")
	}
	// ~/.cfg did not exist when trusted: made now, it is shared, read-write.
	if err := os.Mkdir(filepath.Join(home, ".cfg"), 0o755); err != nil {
		t.Fatal(err)
	}
	if r := sh(t, dir, "echo written > ~/.cfg/out"); r.code != 0 {
		t.Errorf("writing a read-write entry: %+v", r)
	}
	if b, err := os.ReadFile(filepath.Join(home, ".cfg", "out")); err != nil || string(b) != "written\n" {
		t.Errorf("the caller's ~/.cfg/out: %q, %v", b, err)
	}
	t.Setenv("TBX_WARM", "5m") // a warm container has them too
	for range 2 {
		if r := sh(t, dir, "cat ~/.kube/config ~/.cfg/out"); r.code != 0 || r.out != "kc\nwritten\n" {
			t.Errorf("a warm run's view of the caller's HOME: %+v", r)
		}
	}
}
