package project

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbx-dev/tbx/toolbox/internal/exit"
)

const host = "unix:///var/run/docker.sock"

// --trust lets one command act and records nothing: the next is refused.
func TestTrustOnceRecordsNothing(t *testing.T) {
	s := newProject(t, map[string]string{"toolbox.toml": recipeText}, "")
	s.TrustOnce = true
	p, err := Open(s, &fakeEngine{host: host})
	if err != nil {
		t.Fatalf("--trust: %v", err)
	}
	p.Close()
	s.TrustOnce = false
	if _, err := Open(s, &fakeEngine{host: host}); exit.Code(err) != exit.Failed {
		t.Errorf("the command after --trust: %v", err)
	}
}

// A recipe changed since it was trusted is refused in one line naming the
// key that changed, before the Engine is asked anything (the fake panics
// on any call); untrust takes the trust back.
func TestAChangeOrUntrustIsRefusedBeforeTheEngine(t *testing.T) {
	s := newProject(t, map[string]string{"toolbox.toml": recipeText}, "")
	if _, err := Trust(s); err != nil {
		t.Fatal(err)
	}
	p, err := Open(s, &fakeEngine{host: host})
	if err != nil {
		t.Fatalf("trusted: %v", err)
	}
	p.Close()
	recipePath := filepath.Join(s.Cwd, "toolbox.toml")
	if err := os.WriteFile(recipePath, []byte(recipeText+"network = \"host\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Open(s, &fakeEngine{host: host})
	if exit.Code(err) != exit.Failed || !strings.Contains(err.Error(), "tools.box.network") || strings.Contains(err.Error(), "\n") {
		t.Errorf("a changed recipe: %v", err)
	}
	if _, err := Trust(s); err != nil {
		t.Fatal(err)
	}
	path, had, err := Untrust(s)
	if err != nil || !had || path != recipePath {
		t.Fatalf("untrust: %q %v %v", path, had, err)
	}
	if _, err := Open(s, &fakeEngine{host: host}); exit.Code(err) != exit.Failed {
		t.Errorf("after untrust: %v", err)
	}
}

// A host path that leads elsewhere than when it was trusted (a directory
// swapped for a link) is refused, with both ends said.
func TestARedirectedHostPathIsRefused(t *testing.T) {
	s := newProject(t, map[string]string{
		"toolbox.toml": recipeText + "volumes = [\"./data:/data\"]\n",
		"data/x":       "x",
	}, "")
	if _, err := Trust(s); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(s.Cwd, "data")
	if err := os.RemoveAll(data); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc", data); err != nil {
		t.Fatal(err)
	}
	_, err := Open(s, &fakeEngine{host: host})
	if exit.Code(err) != exit.Failed || !strings.Contains(err.Error(), "now leads to /etc") {
		t.Errorf("a redirected volume: %v", err)
	}
}
