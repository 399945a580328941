//go:build linux

package commands

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/tbx-dev/tbx/toolbox/front"
	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// spareRun is one run of tbx, as a process (a spare is made by tbx's core
// again, in the background), in dir.
func spareRun(t *testing.T, dir string, stdin []byte, env []string, args ...string) result {
	t.Helper()
	cmd := tbxProcess(dir, args...)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	code := exitCode(cmd.Run())
	if code < 0 {
		t.Fatalf("tbx %v did not run", args)
	}
	return result{out.String(), errb.String(), code}
}

// makersDone waits until no tbx is making a spare: what a run started in
// the background has served, or failed.
func makersDone(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if !testenv.MakingSpare(filepath.Dir(tbxBin)) {
			return
		}
	}
	t.Fatal("a spare was still being made after 60s")
}

// spares lists the project's spares, running or not.
func spares(t *testing.T, c *client.Client, project string) []container.InspectResponse {
	t.Helper()
	f := filters.NewArgs(filters.Arg("label", labels.Spare), filters.Arg("label", labels.Project+"="+project))
	list, err := c.ContainerList(context.Background(), container.ListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	var out []container.InspectResponse
	for _, ct := range list {
		if ins, err := c.ContainerInspect(context.Background(), ct.ID); err == nil {
			out = append(out, ins)
		}
	}
	return out
}

// theSpare is the project's one running spare, once its maker is done.
func theSpare(t *testing.T, c *client.Client, project string) container.InspectResponse {
	t.Helper()
	makersDone(t)
	var running []container.InspectResponse
	for _, s := range spares(t, c, project) {
		if s.State.Running {
			running = append(running, s)
		}
	}
	if len(running) != 1 {
		log, _ := os.ReadFile(filepath.Join(os.Getenv("XDG_STATE_HOME"), "tbx", front.SpareLog))
		t.Fatalf("%d running spares of project %s, want 1; the last maker said %q", len(running), project, log)
	}
	return running[0]
}

// A run that finds its spare runs in it, and it is exactly a throwaway
// container: its own hostname, an empty writable layer, no process of an
// earlier run, the environment of this call; its exit code, stdin and
// stdout are exact; it is gone after, and the next run has the next spare.
func TestSparesAreThrowawayContainers(t *testing.T) {
	c := testenv.Engine(t)
	t.Setenv("TBX_SPARE", "2m")
	t.Setenv("XDG_STATE_HOME", t.TempDir()) // the makers' log, spare.log, in a place of the test's
	dir, project := runProject(t, c, "env = [\"CALLER_*\"]\n")
	t.Cleanup(func() { makersDone(t) }) // before the project's containers are removed

	first := spareRun(t, dir, nil, nil, "run", "box-sh", "-c", "hostname")
	if first.code != 0 {
		t.Fatalf("first run: exit %d, %s", first.code, first.err)
	}
	s1 := theSpare(t, c, project)
	const sleepers = `for p in /proc/[0-9]*; do cat $p/comm 2>/dev/null; done | grep -c '^sleep$' || true`
	r := spareRun(t, dir, nil, []string{"CALLER_NAME=second"}, "run", "box-sh", "-c",
		`hostname; echo $CALLER_NAME; echo left > /tmp/mark; setsid sleep 300 </dev/null >/dev/null 2>&1 & sleep 0.2; `+sleepers+`; exit 42`)
	if r.code != 42 || r.out != s1.Config.Hostname+"\nsecond\n1\n" {
		t.Fatalf("a run in the spare %s: exit %d, stdout %q, stderr %q", s1.Config.Hostname, r.code, r.out, r.err)
	}
	s2 := theSpare(t, c, project)
	if s2.ID == s1.ID {
		t.Fatal("the claimed spare is still running")
	}
	r = spareRun(t, dir, nil, []string{"CALLER_NAME=third"}, "run", "box-sh", "-c",
		`hostname; echo $CALLER_NAME; cat /tmp/mark 2>/dev/null || echo no-mark; `+sleepers)
	if r.code != 0 || r.out != s2.Config.Hostname+"\nthird\nno-mark\n0\n" {
		t.Errorf("the run after one that left a file and a process: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
	for _, gone := range []string{s1.ID, s2.ID} {
		if _, err := c.ContainerInspect(context.Background(), gone); err == nil {
			waitRemoved(t, c, gone)
		}
	}

	t.Run("stdin and exit codes", func(t *testing.T) {
		data := bytes.Repeat([]byte("0123456789abcdef\x00\xff"), 200<<20/18)
		sum := sha256.Sum256(data)
		theSpare(t, c, project)
		r := spareRun(t, dir, data, nil, "run", "box-sh", "-c", "sha256sum | cut -c1-64; exit 255")
		if r.code != 255 || strings.TrimSpace(r.out) != hex.EncodeToString(sum[:]) {
			t.Errorf("200 MB through a spare: exit %d, sum %q, stderr %q", r.code, r.out, r.err)
		}
		for _, code := range []int{0, 1, 126, 127, 200} {
			theSpare(t, c, project)
			if r := spareRun(t, dir, nil, nil, "run", "box-sh", "-c", "exit "+strconv.Itoa(code)); r.code != code {
				t.Errorf("exit %d came back as %d: %s", code, r.code, r.err)
			}
		}
	})

	t.Run("a signal", func(t *testing.T) {
		theSpare(t, c, project)
		cmd := tbxProcess(dir, "run", "box-sh", "-c", "trap 'echo got TERM; exit 7' TERM; echo ready; while :; do sleep 0.1; done")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitLine(t, out, "ready")
		_ = cmd.Process.Signal(syscall.SIGTERM)
		rest, _ := readAll(out)
		err = cmd.Wait()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 7 || !strings.Contains(rest, "got TERM") {
			t.Errorf("SIGTERM through a spare: %v, output %q", err, rest)
		}
	})

	t.Run("a terminal", func(t *testing.T) {
		old := theSpare(t, c, project)
		checkTTYSizeAndResize(t, tbxProcess(dir, "run", "box-sh", "-c", ttyScript(5)), 5)
		if next := theSpare(t, c, project); next.ID == old.ID {
			t.Error("the run on a terminal did not take the spare")
		}
	})

	t.Run("two at once", func(t *testing.T) {
		theSpare(t, c, project)
		outs := make(chan result, 2)
		for range 2 {
			go func() { outs <- spareRun(t, dir, nil, nil, "run", "box-sh", "-c", "hostname; sleep 1") }()
		}
		a, b := <-outs, <-outs
		if a.code != 0 || b.code != 0 || a.out == b.out {
			t.Errorf("two runs at once: %d %q and %d %q: each must run in a container of its own", a.code, a.out, b.code, b.out)
		}
	})

	// staleAfter makes change, then checks that a run does not take the
	// spare made before it, and that the next spare made removes it.
	staleAfter := func(t *testing.T, what string, change func(), check func(r result) bool) {
		old := theSpare(t, c, project)
		change()
		r := spareRun(t, dir, nil, nil, "--progress", "plain", "run", "box-sh", "-c", "hostname; cat /version 2>/dev/null || true")
		if r.code != 0 || strings.HasPrefix(r.out, old.Config.Hostname) || !check(r) {
			t.Errorf("a run after %s: exit %d, stdout %q, stderr %q; the spare made before is %s", what, r.code, r.out, r.err, old.Config.Hostname)
		}
		makersDone(t)
		if _, err := c.ContainerInspect(context.Background(), old.ID); err == nil {
			waitRemoved(t, c, old.ID)
		}
	}
	t.Run("stale", func(t *testing.T) {
		staleAfter(t, "its build context changed", func() {
			writeFiles(t, dir, map[string]string{"img/Dockerfile": "FROM " + testenv.DebianBase + "\nRUN ln -s /bin/sh /usr/local/bin/box-sh && echo 2 > /version\n"})
		}, func(r result) bool { return strings.HasSuffix(r.out, "\n2\n") })
		staleAfter(t, "the recipe changed", func() {
			src, err := os.ReadFile(filepath.Join(dir, "toolbox.toml"))
			if err != nil {
				t.Fatal(err)
			}
			writeFiles(t, dir, map[string]string{"toolbox.toml": strings.Replace(string(src), "[tools.box]\n", "[tools.box]\ndescription = \"edited\"\n", 1)})
		}, func(result) bool { return true })
		staleAfter(t, "toolbox.lock appeared", func() {
			writeFiles(t, dir, map[string]string{"toolbox.lock": "version = 2\n"})
		}, func(result) bool { return true })
		_ = os.Remove(filepath.Join(dir, "toolbox.lock"))
	})

	t.Run("idle", func(t *testing.T) {
		theSpare(t, c, project)
		spareRun(t, dir, nil, []string{"TBX_SPARE=1s"}, "run", "box-sh", "-c", "true")
		short := theSpare(t, c, project)
		waitRemoved(t, c, short.ID) // within its idle time and the Engine's removal
	})

	t.Run("untrust", func(t *testing.T) {
		untrusted := append(os.Environ(), "TBX_TRUST=")
		trust := func(args ...string) {
			cmd := tbxProcess(dir, args...)
			cmd.Env = untrusted
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("tbx %v: %v\n%s", args, err, out)
			}
		}
		trust("trust")
		spareRun(t, dir, nil, []string{"TBX_TRUST="}, "run", "box-sh", "-c", "true")
		old := theSpare(t, c, project)
		trust("untrust")
		if r := spareRun(t, dir, nil, []string{"TBX_TRUST="}, "run", "box-sh", "-c", "hostname"); r.code != 125 || !strings.Contains(r.err, "not trusted") {
			t.Errorf("a run after untrust: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
		}
		trust("trust")
		if r := spareRun(t, dir, nil, []string{"TBX_TRUST="}, "run", "box-sh", "-c", "hostname"); r.code != 0 || r.out == old.Config.Hostname+"\n" {
			t.Errorf("a run trusted again used the spare made before untrust (%s): exit %d, stdout %q", old.Config.Hostname, r.code, r.out)
		}
	})

	t.Run("ls and gc", func(t *testing.T) {
		theSpare(t, c, project)
		if r := spareRun(t, dir, nil, nil, "ls"); !strings.Contains(r.out, "spare: box in tbx-spare-") {
			t.Errorf("ls does not show the spare:\n%s", r.out)
		}
		if r := spareRun(t, dir, nil, nil, "gc"); r.code != 0 || len(spares(t, c, project)) != 0 {
			t.Errorf("gc left spares: exit %d, %s; %d spares", r.code, r.err, len(spares(t, c, project)))
		}
	})
}

// waitRemoved waits until the Engine has removed container id.
func waitRemoved(t *testing.T, c *client.Client, id string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := c.ContainerInspect(context.Background(), id); cerrdefs.IsNotFound(err) {
			return
		}
	}
	t.Errorf("container %.12s is still there", id)
}

func readAll(r interface{ Read([]byte) (int, error) }) (string, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r)
	return b.String(), err
}
