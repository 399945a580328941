//go:build !windows

package route

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tbx-dev/tbx/toolbox/internal/direct"
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
	call := Call{Cwd: dir, Command: "az", Environ: []string{"HOME=/h", "AZ_X=1", "RANDOM_NOISE=1"}, UID: os.Getuid(), GID: os.Getgid()}
	r := Route{Socket: "/s", Prefix: []string{"env"}, Request: direct.Request{Dir: dir}, Rules: []string{"AZ_*"},
		Stamps: []Stamp{StampOf(recipe), StampOf(filepath.Join(dir, "toolbox.lock"))}, Links: map[string]string{link: Lead(dir)}}
	if err := Write(state, call, r); err != nil {
		t.Fatal(err)
	}
	got, err := Read(state, call)
	if err != nil || got.Socket != "/s" || !got.Fresh(call, never) {
		t.Fatalf("read back %+v, %v", got, err)
	}
	for name, other := range map[string]Call{
		"another directory": {Cwd: "/", Command: "az", Environ: call.Environ, UID: call.UID},
		"another command":   {Cwd: dir, Command: "kubectl", Environ: call.Environ, UID: call.UID},
		"a terminal":        {Cwd: dir, Command: "az", TTY: true, Environ: call.Environ, UID: call.UID},
	} {
		if _, err := Read(state, other); err == nil {
			t.Errorf("%s found the route", name)
		}
	}
	noise := call
	noise.Environ = []string{"HOME=/h", "AZ_X=1", "RANDOM_NOISE=2"}
	if !got.Fresh(noise, never) {
		t.Error("a variable neither tbx nor the rules read made the route stale")
	}
	for name, env := range map[string][]string{
		"a rule's variable":  {"HOME=/h", "AZ_X=2"},
		"tbx's own variable": {"HOME=/h", "AZ_X=1", "TBX_WARM=0"},
		"the Engine":         {"HOME=/h", "AZ_X=1", "DOCKER_HOST=ssh://x"},
		"a proxy":            {"HOME=/h", "AZ_X=1", "https_proxy=http://p"},
		"HOME":               {"HOME=/other", "AZ_X=1"},
		"TERM":               {"HOME=/h", "AZ_X=1", "TERM=dumb"},
	} {
		c := call
		c.Environ = env
		if got.Fresh(c, never) {
			t.Errorf("a change of %s left the route fresh", name)
		}
	}
	sg := call
	sg.GID++
	if got.Fresh(sg, never) {
		t.Error("another primary group (sg) left the route fresh")
	}
	if err := os.WriteFile(filepath.Join(dir, "toolbox.lock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got.Fresh(call, never) {
		t.Error("a new lock left the route fresh")
	}
	_ = os.Remove(filepath.Join(dir, "toolbox.lock"))
	if !got.Fresh(call, never) {
		t.Fatal("the route is stale with everything as it was")
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(recipe, later, later); err != nil {
		t.Fatal(err)
	}
	if got.Fresh(call, never) {
		t.Error("a touched recipe left the route fresh")
	}
	got.Stamps = []Stamp{StampOf(recipe)}
	if err := errors.Join(os.Remove(link), os.Symlink("/", link)); err != nil {
		t.Fatal(err)
	}
	if got.Fresh(call, never) {
		t.Error("a host path that now leads elsewhere left the route fresh")
	}
	if err := Clear(state); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(state, call); err == nil {
		t.Error("the route is still there after Clear")
	}
}

// A route keeps no value of the caller's variables: they are taken again
// from the call, whose watched variables must hash as they did.
func TestARouteKeepsNoValueOfTheCallersVariables(t *testing.T) {
	state := t.TempDir()
	call := Call{Cwd: "/w", Command: "az", Environ: []string{"AZURE_TOKEN=s3cr3t-value", "HOME=/h"}, UID: os.Getuid(), GID: os.Getgid()}
	r := Route{Socket: "/s", Rules: []string{"AZURE_*"}, Request: direct.Request{Env: []string{"AZURE_TOKEN=s3cr3t-value", "HOME=/root", "FIXED=1"}}}
	if err := Write(state, call, r); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(Dir(state), call.key()))
	if err != nil || strings.Contains(string(b), "s3cr3t") {
		t.Fatalf("the route file holds the value: %s %v", b, err)
	}
	got, err := Read(state, call)
	if err != nil || !slices.Equal(got.Request.Env, r.Request.Env) {
		t.Fatalf("read back %v, %v; want %v", got.Request.Env, err, r.Request.Env)
	}
}

// A route is read only when it is a regular file of the caller's: a FIFO
// in its place answers at once, a file of another uid is no route.
func TestARouteIsReadOnlyFromARegularFileOfTheCallers(t *testing.T) {
	state := t.TempDir()
	call := Call{Cwd: "/w", Command: "az", UID: os.Getuid(), GID: os.Getgid()}
	if err := Write(state, call, Route{Socket: "/s"}); err != nil {
		t.Fatal(err)
	}
	other := call
	other.UID++
	path := filepath.Join(Dir(state), call.key())
	if err := os.Rename(path, filepath.Join(Dir(state), other.key())); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(state, other); err == nil {
		t.Error("a route file of another uid was read")
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := Read(state, call); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a FIFO was read as a route")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("reading a FIFO in a route's place hangs")
	}
}

// never is a watcher that never vouches.
func never(string) bool { return false }

// The build files a watcher keeps are stamped by the front only when the
// watcher does not vouch for them; then they are read from their own
// file, and a change among them makes the route stale.
func TestWatchedFilesAreStampedWhenNoWatcherVouches(t *testing.T) {
	state, dir := t.TempDir(), t.TempDir()
	file := filepath.Join(dir, "Dockerfile")
	if err := os.WriteFile(file, []byte("FROM x"), 0o600); err != nil {
		t.Fatal(err)
	}
	call := Call{Cwd: dir, Command: "az", UID: os.Getuid(), GID: os.Getgid()}
	watched := StampsOf([]string{dir, file})
	r := Route{Socket: "/s", Request: direct.Request{Dir: dir}, Watched: watched, WatchKey: Digest(watched)}
	if err := Write(state, call, r); err != nil {
		t.Fatal(err)
	}
	got, err := Read(state, call)
	if err != nil || len(got.Watched) != 0 {
		t.Fatalf("the route carries its watched stamps itself: %+v, %v", got, err)
	}
	vouches := func(key string) bool { return key == r.WatchKey }
	if !got.Fresh(call, never) || !got.Fresh(call, vouches) {
		t.Fatal("a route whose watched files are as they were is stale")
	}
	if err := os.WriteFile(file, []byte("FROM y"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got.Fresh(call, never) {
		t.Error("with no watcher to vouch, a changed build file left the route fresh")
	}
	if !got.Fresh(call, vouches) {
		t.Error("a route whose watcher vouches stamped the files anyway")
	}
	if err := os.Remove(watchedFile(state, r.WatchKey)); err != nil {
		t.Fatal(err)
	}
	if got.Fresh(call, never) {
		t.Error("a route whose watched stamps are gone is fresh")
	}
}
