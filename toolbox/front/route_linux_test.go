package front

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tbx-dev/tbx/toolbox/internal/direct"
	"github.com/tbx-dev/tbx/toolbox/internal/route"
	"github.com/tbx-dev/tbx/toolbox/internal/signals"
	"github.com/tbx-dev/tbx/toolbox/internal/statedir"
)

// freshRoute writes a route for `run jq` from the test's working directory
// whose socket is in a directory of its own, and returns that directory.
func freshRoute(t *testing.T, server int) string {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("TBX_DEBUG", "")
	home, _ := os.UserHomeDir()
	state, err := statedir.Dir(os.Getenv("XDG_STATE_HOME"), home)
	if err != nil {
		t.Fatal(err)
	}
	cwd, _ := os.Getwd()
	stamp := filepath.Join(t.TempDir(), "toolbox.toml")
	if err := os.WriteFile(stamp, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	sock := t.TempDir()
	call := route.Call{Cwd: cwd, Command: "jq", Environ: os.Environ(), UID: os.Getuid(), GID: os.Getgid()}
	r := route.Route{Socket: sock, Server: server, Request: direct.Request{Dir: cwd}, Stamps: []route.Stamp{route.StampOf(stamp)}}
	if err := route.Write(state, call, r); err != nil {
		t.Fatal(err)
	}
	return sock
}

func router() func() *signals.Router {
	r, _ := signals.Start(context.Background())
	return func() *signals.Router { return r }
}

// A route whose helper is gone leaves the call to the core: nothing ran.
func TestARouteWhoseHelperIsGoneGoesToTheCore(t *testing.T) {
	freshRoute(t, 1)
	r := router()
	defer r().Stop()
	if code, handled := tryRoute("jq", []string{"."}, r); handled {
		t.Errorf("a route with no one serving its socket was handled: exit %d", code)
	}
}

// A socket served by another process than the container's helper (a
// socket put there by someone else) is sent nothing: the core runs it.
func TestASocketServedByAnotherProcessIsSentNothing(t *testing.T) {
	sock := freshRoute(t, 1) // the helper's pid, as the route says: not this test's
	l, err := net.Listen("unix", filepath.Join(sock, direct.Socket))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan int, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- -1
			return
		}
		defer c.Close()
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _ := c.Read(make([]byte, 1))
		got <- n
	}()
	r := router()
	defer r().Stop()
	if code, handled := tryRoute("jq", []string{"."}, r); handled {
		t.Errorf("a socket of another process was used: exit %d", code)
	}
	select {
	case n := <-got:
		if n != 0 {
			t.Errorf("the other process was sent %d bytes; want none", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the socket was never dialed: the test's route was not fresh, and proves nothing")
	}
}

// A route is read only for the call it was written for: another command
// has none, and goes to the core.
func TestAnotherCommandHasNoRoute(t *testing.T) {
	freshRoute(t, 1)
	r := router()
	defer r().Stop()
	if _, handled := tryRoute("kubectl", nil, r); handled {
		t.Error("jq's route served kubectl")
	}
}
