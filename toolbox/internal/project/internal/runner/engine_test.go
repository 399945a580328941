//go:build linux

package runner

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbx-dev/tbx/toolbox/internal/exit"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// On an Engine whose paths are not this host's (a remote one, as this test
// says to the runner), the Engine's init starts the command: a command it
// cannot start is said in tbx's words with docker's exit code, and a
// command's own stderr and exit pass through untouched.
func TestTheEnginesInitSpeaksThroughTbx(t *testing.T) {
	c := testenv.Engine(t)
	base := testenv.Debian(t, c)
	dir := t.TempDir()
	for _, d := range []string{"home", "etc"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"passwd", "group"} {
		if err := os.WriteFile(filepath.Join(dir, "etc", f), []byte("root:x:0:0::/root:/bin/sh\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) (string, error) {
		inv := Invocation{
			Project: testenv.Project(t, c), Key: "k", Root: dir, Cwd: dir,
			Tool: &recipe.Tool{Name: "box"}, Image: base, Args: args,
			Identity: Identity{UID: os.Getuid(), GID: os.Getgid(), Name: "root", Home: "/root", HostHome: filepath.Join(dir, "home"), PasswdDir: filepath.Join(dir, "etc")},
			Launcher: "1@test",
		}
		var out, errb bytes.Buffer
		r := &Runner{Engine: c, Streams: Streams{In: strings.NewReader(""), Out: &out, Err: &errb}}
		err := r.Run(context.Background(), inv)
		return out.String() + errb.String(), err
	}
	printed, err := run("nosuchcmd")
	if exit.Code(err) != 127 || err.Error() != `tool box: command not found in the image `+testenv.DebianBase+`: exec: "nosuchcmd": No such file or directory` || printed != "" {
		t.Errorf("a missing command: exit %d, %v; printed %q", exit.Code(err), err, printed)
	}
	printed, err = run("sh", "-c", "echo '[FATAL tini (7)] exec x failed: y' >&2; exit 127")
	if exit.Code(err) != 127 || printed != "[FATAL tini (7)] exec x failed: y\n" {
		t.Errorf("a command's own words: exit %d, %v; printed %q", exit.Code(err), err, printed)
	}
}
