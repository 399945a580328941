//go:build linux

package cli

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"

	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/project"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// sparesOf lists the running spares of the checkout in dir, found by its
// identity (the digest of its real root), not by its project's name.
func sparesOf(t *testing.T, c *client.Client, dir string) []string {
	t.Helper()
	makersDone(t)
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := labels.Owned(strconv.Itoa(os.Getuid()), project.Identity(real))
	f.Add("label", labels.Spare)
	list, err := c.ContainerList(context.Background(), container.ListOptions{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ct := range list {
		ids = append(ids, ct.ID)
	}
	return ids
}

// A clone of a project is another project, though it has the same name:
// its spares' maker leaves the first checkout's spares alone, idle or
// claimed, and a run in flight in one ends with its own output and exit
// code while the other runs.
func TestSparesAreEachCheckoutsOwn(t *testing.T) {
	c := testenv.Engine(t)
	t.Setenv("TBX_SPARE", "2m")
	a, name := runProject(t, c, "")
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Cleanup(func() { makersDone(t) })
	b := filepath.Join(t.TempDir(), "clone")
	for _, f := range []string{"toolbox.toml", "img/Dockerfile"} {
		src, err := os.ReadFile(filepath.Join(a, f))
		if err != nil {
			t.Fatal(err)
		}
		writeFiles(t, b, map[string]string{f: string(src)})
	}
	mustTbx(t, "-f", filepath.Join(b, "toolbox.toml"), "prepare")

	spareRun(t, a, nil, nil, "run", "box-sh", "-c", "true")
	inA := sparesOf(t, c, a)
	spareRun(t, b, nil, nil, "run", "box-sh", "-c", "true")
	if got := sparesOf(t, c, a); len(inA) != 1 || len(got) != 1 || got[0] != inA[0] {
		t.Fatalf("the clone's run changed the spares of the first checkout of %s: %v, then %v", name, inA, got)
	}
	if got := sparesOf(t, c, b); len(got) != 1 {
		t.Fatalf("the clone has %d spares, want 1", len(got))
	}

	long := tbxProcess(a, "run", "box-sh", "-c", "echo started; sleep 3; echo done; exit 3")
	out, err := long.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := long.Start(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(out)
	waitLine(t, br, "started") // in the first checkout's spare
	if r := spareRun(t, b, nil, nil, "run", "box-sh", "-c", "echo b"); r.code != 0 || r.out != "b\n" {
		t.Errorf("the clone's run: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
	makersDone(t) // the clone's next spare is made while the first run goes on
	rest, _ := readAll(br)
	if code := exitCode(long.Wait()); code != 3 || rest != "done\n" {
		t.Errorf("the first checkout's run, while the clone ran: exit %d, then stdout %q; want 3 and \"done\"", code, rest)
	}
}
