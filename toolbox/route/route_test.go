package route

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tbx-dev/tbx/toolbox/direct"
)

func TestARouteIsFoundByItsCallAndStaysFreshUntilAnInputChanges(t *testing.T) {
	state, dir := t.TempDir(), t.TempDir()
	recipe := filepath.Join(dir, "toolbox.toml")
	link := filepath.Join(dir, "data")
	if err := os.WriteFile(recipe, []byte("a"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	call := Call{Cwd: dir, Command: "az", Environ: []string{"HOME=/h", "AZ_X=1", "RANDOM_NOISE=1"}}
	r := Route{Socket: "/s", Prefix: []string{"env"}, Request: direct.Request{Dir: dir}, Rules: []string{"AZ_*"},
		Stamps: []Stamp{StampOf(recipe), StampOf(filepath.Join(dir, "toolbox.lock"))}, Links: map[string]string{link: dir}}
	if err := Write(state, call, r); err != nil {
		t.Fatal(err)
	}
	got, err := Read(state, call)
	if err != nil || got.Socket != "/s" || !got.Fresh(call) {
		t.Fatalf("read back %+v, %v", got, err)
	}
	for name, other := range map[string]Call{
		"another directory": {Cwd: "/", Command: "az", Environ: call.Environ},
		"another command":   {Cwd: dir, Command: "kubectl", Environ: call.Environ},
		"a terminal":        {Cwd: dir, Command: "az", TTY: true, Environ: call.Environ},
	} {
		if _, err := Read(state, other); err == nil {
			t.Errorf("%s found the route", name)
		}
	}
	noise := call
	noise.Environ = []string{"HOME=/h", "AZ_X=1", "RANDOM_NOISE=2"}
	if !got.Fresh(noise) {
		t.Error("a variable neither tbx nor the rules read made the route stale")
	}
	for name, env := range map[string][]string{
		"a rule's variable":  {"HOME=/h", "AZ_X=2"},
		"tbx's own variable": {"HOME=/h", "AZ_X=1", "TBX_WARM=0"},
		"the Engine":         {"HOME=/h", "AZ_X=1", "DOCKER_HOST=ssh://x"},
		"a proxy":            {"HOME=/h", "AZ_X=1", "https_proxy=http://p"},
		"HOME":               {"HOME=/other", "AZ_X=1"},
	} {
		c := call
		c.Environ = env
		if got.Fresh(c) {
			t.Errorf("a change of %s left the route fresh", name)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "toolbox.lock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got.Fresh(call) {
		t.Error("a new lock left the route fresh")
	}
	_ = os.Remove(filepath.Join(dir, "toolbox.lock"))
	if !got.Fresh(call) {
		t.Fatal("the route is stale with everything as it was")
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(recipe, later, later); err != nil {
		t.Fatal(err)
	}
	if got.Fresh(call) {
		t.Error("a touched recipe left the route fresh")
	}
	got.Stamps = []Stamp{StampOf(recipe)}
	if err := errors.Join(os.Remove(link), os.Symlink("/", link)); err != nil {
		t.Fatal(err)
	}
	if got.Fresh(call) {
		t.Error("a host path that now leads elsewhere left the route fresh")
	}
	if err := Clear(state); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(state, call); err == nil {
		t.Error("the route is still there after Clear")
	}
}
