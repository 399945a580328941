//go:build !windows

package commands

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/tbx-dev/tbx/toolbox/helper"
	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// warmContainers lists the project's warm containers.
func warmContainers(t *testing.T, c *client.Client, project string) []container.Summary {
	t.Helper()
	list, err := c.ContainerList(context.Background(), container.ListOptions{All: true, Filters: filters.NewArgs(
		filters.Arg("label", labels.Project+"="+project), filters.Arg("label", labels.Warm))})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// warmStarts counts the warm containers of project that the Engine started
// since then.
func warmStarts(t *testing.T, c *client.Client, project string, since time.Time) int {
	t.Helper()
	if podmanRun {
		return podmanWarmStarts(t, project)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	msgs, errs := c.Events(ctx, events.ListOptions{Since: eventTime(since), Until: eventTime(time.Now()), Filters: filters.NewArgs(
		filters.Arg("type", "container"), filters.Arg("event", "start"),
		filters.Arg("label", labels.Project+"="+project), filters.Arg("label", labels.Warm))})
	n := 0
	for {
		select {
		case <-msgs:
			n++
		case err := <-errs:
			if err != nil && err != io.EOF {
				t.Fatal(err)
			}
			return n
		}
	}
}

func TestWarmRunsReuseOneContainer(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := runProject(t, c, "warm = \"1m\"\n")
	if r := sh(t, dir, "echo hi; echo err >&2; exit 3"); r.code != 3 || r.out != "hi\n" || r.err != "err\n" {
		t.Fatalf("first warm run: exit %d, out %q, err %q", r.code, r.out, r.err)
	}
	first := warmContainers(t, c, project)
	if r := sh(t, dir, "echo again"); r.code != 0 || r.out != "again\n" {
		t.Fatalf("second warm run: exit %d, out %q, err %q", r.code, r.out, r.err)
	}

	second := warmContainers(t, c, project)
	if len(first) != 1 || len(second) != 1 || first[0].ID != second[0].ID {
		t.Fatalf("warm containers: %d then %d; want the same one", len(first), len(second))
	}
	// A process the command leaves behind is the helper's to reap: once
	// it ends, no zombie stays.
	if r := sh(t, dir, "sleep 1 & echo left"); r.out != "left\n" {
		t.Fatalf("run leaving a child: %q %q", r.out, r.err)
	}
	if cmds := commandsIn(t, c, second[0].ID); len(cmds) != 0 {
		t.Errorf("left behind in the warm container: %v", cmds)
	}
	// --debug says which path a run took, and why not the direct one.
	if r := tbxIn(t, dir, "--debug", "run", "box-sh", "-c", "true"); !strings.Contains(r.err, "debug: warm run through the helper's socket in ") {
		t.Errorf("--debug does not say that the run took the direct path:\n%s", r.err)
	}
	// A command that outgrows its memory is the out-of-memory killer's
	// victim before PID 1, whose end would end every run in the container.
	if r := sh(t, dir, "cat /proc/self/oom_score_adj"); r.out != "300\n" {
		t.Errorf("a direct run's oom_score_adj: %q %q; want 300", r.out, r.err)
	}
	t.Setenv("TBX_DIRECT", "0")
	if r := tbxIn(t, dir, "--debug", "run", "box-sh", "-c", "true"); !strings.Contains(r.err, "debug: warm run through an Engine exec: TBX_DIRECT=0") {
		t.Errorf("--debug does not say that the run took the exec path, and why:\n%s", r.err)
	}
	if r := sh(t, dir, "cat /proc/self/oom_score_adj"); r.out != "300\n" {
		t.Errorf("an exec run's oom_score_adj: %q %q; want 300", r.out, r.err)
	}
}

// runPathTests are the run path's tests, which the warm and the Podman
// runs repeat.
var runPathTests = []struct {
	name string
	fn   func(*testing.T)
}{
	{"ExitCodes", TestRunExitCodes},
	{"BinaryStdinIsBitExact", TestRunBinaryStdinIsBitExact},
	{"KeepsStdoutAndStderrApart", TestRunKeepsStdoutAndStderrApart},
	{"WorkspaceAndWorkdir", TestRunWorkspaceAndWorkdir},
	{"EnvRules", TestRunEnvRules},
	{"Volumes", TestRunVolumes},
	{"Limits", TestRunLimits},
	{"ReadOnly", TestRunReadOnly},
	{"DockerKey", TestRunDockerKey},
	{"SignalsReachTheCommand", TestSignalsReachTheCommand},
	{"TTYSizeAndResize", TestTTYSizeAndResize},
	{"TTYCtrlCRestoreAndHangup", TestTTYCtrlCRestoreAndHangup},
	{"AsNonRootCaller", TestRunAsNonRootCaller},
	{"SSHAgentIsForwarded", TestSSHAgentIsForwarded},
}

// TestWarmRunPath runs the run path's tests again, every run warm, once
// through the helper's socket (the direct path, the default) and once
// through an Engine exec (TBX_DIRECT=0, what a remote Engine gets): what
// holds for a throwaway container holds for both. Each test checks the
// path its runs took, from the Engine's events: the direct path makes no
// exec.
func TestWarmRunPath(t *testing.T) {
	t.Setenv("TBX_WARM", "2m")
	c := testenv.Engine(t)
	for _, path := range []string{"direct", "exec"} {
		t.Run(path, func(t *testing.T) {
			if path == "exec" {
				t.Setenv("TBX_DIRECT", "0")
			}
			for _, test := range runPathTests {
				t.Run(test.name, func(t *testing.T) {
					since, first := time.Now(), len(runProjects)
					test.fn(t)
					if n := warmExecs(t, c, since, runProjects[first:]); (n == 0) != (path == "direct") {
						t.Errorf("%d execs in warm containers on the %s path", n, path)
					}
				})
			}
		})
	}
}

// warmExecs counts the runs the Engine started in the warm containers of
// projects through an exec since then (not the helper's status, which gc
// and ls ask).
func warmExecs(t *testing.T, c *client.Client, since time.Time, projects []string) int {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	msgs, errs := c.Events(ctx, events.ListOptions{Since: eventTime(since), Until: eventTime(time.Now()), Filters: filters.NewArgs(
		filters.Arg("type", "container"), filters.Arg("label", labels.Warm))})
	n := 0
	for {
		select {
		case m := <-msgs:
			if strings.HasPrefix(string(m.Action), "exec_start") && strings.Contains(string(m.Action), helper.Command+" exec ") && slices.Contains(projects, m.Actor.Attributes[labels.Project]) {
				n++
			}
		case err := <-errs:
			if err != nil && err != io.EOF {
				t.Fatal(err)
			}
			return n
		}
	}
}

// Twenty tbx processes started at once, with no warm container yet, make
// one between them and all run in it.
func TestWarmConcurrentRunsShareOneContainer(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := runProject(t, c, "warm = \"1m\"\n")
	const n = 20
	type outcome struct {
		i, code int
		out     string
	}
	results := make(chan outcome, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			cmd := tbxProcess(dir, "run", "box-sh", "-c", "echo run "+strconv.Itoa(i)+"; exit "+strconv.Itoa(i))
			out, err := cmd.Output()
			results <- outcome{i, exitCode(err), string(out)}
		}(i)
	}
	for k := 0; k < n; k++ {
		r := <-results
		if r.code != r.i || r.out != "run "+strconv.Itoa(r.i)+"\n" {
			t.Errorf("run %d: exit %d, out %q", r.i, r.code, r.out)
		}
	}
	if got := warmContainers(t, c, project); len(got) != 1 {
		t.Errorf("%d warm containers; want one for all 20 runs", len(got))
	}
	noContainersLeft(t, c, project)
}

// Each run takes the caller's environment as it is then; ls shows the warm
// container and its idle time; a changed recipe gets a container of its own.
func TestWarmEnvPerRunLsAndReshape(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := runProject(t, c, "warm = \"10m\"\nenv = [\"TBXT_VALUE\"]\n")
	for _, v := range []string{"first", "second"} {
		t.Setenv("TBXT_VALUE", v)
		if r := sh(t, dir, "echo $TBXT_VALUE"); r.out != v+"\n" {
			t.Errorf("with TBXT_VALUE=%s the run saw %q", v, r.out)
		}
	}
	r := mustTbxIn(t, dir, "ls")
	if !strings.Contains(r.out, "warm: box in tbx-warm-"+project+"-") || !strings.Contains(r.out, ": idle, stops in 9m") {
		t.Errorf("ls does not show the warm container with its idle time left:\n%s", r.out)
	}
	appendTo(t, filepath.Join(dir, "toolbox.toml"), "cpus = 1\n")
	mustTbxIn(t, dir, "trust")
	sh(t, dir, "true")
	if got := warmContainers(t, c, project); len(got) != 2 {
		t.Errorf("after a change of cpus: %d warm containers, want the old one and a new one", len(got))
	}
	r = mustTbxIn(t, dir, "gc", "--warm")
	if strings.Count(r.out, "removed container") != 2 {
		t.Errorf("gc --warm: %q", r.out)
	}
	if got := warmContainers(t, c, project); len(got) != 0 {
		t.Errorf("after gc --warm: %d warm containers", len(got))
	}
}

// A warm container stops itself after its idle time; after a kill -9 of
// tbx mid-run, gc leaves nothing.
func TestWarmIdleEndAndKilledLauncher(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := runProject(t, c, "warm = \"2s\"\n")
	sh(t, dir, "true")
	if len(warmContainers(t, c, project)) != 1 {
		t.Fatal("no warm container after a warm run")
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(warmContainers(t, c, project)) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the warm container is still there 30s after its 2s idle time")
		}
		time.Sleep(200 * time.Millisecond)
	}

	t.Setenv("TBX_WARM", "5m")
	killedMidRun(t, dir)
	if r := tbxIn(t, dir, "gc"); r.code != 0 || !strings.Contains(r.out, "removed container") {
		t.Errorf("gc: exit %d, out %q, err %q", r.code, r.out, r.err)
	}
	if left := testenv.LeftContainers(t, c, labels.Project+"="+project); len(left) != 0 {
		t.Errorf("after gc, %d containers are left", len(left))
	}
}

func appendTo(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// A run that reaches a warm container as it stops at its idle end goes to
// a new one, with all of its stdin.
func TestWarmRunArrivingAtTheIdleEnd(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := runProject(t, c, "warm = \"1m\"\n")
	sh(t, dir, "true")
	old := warmContainers(t, c, project)[0].ID
	// What PID 1 does at its idle end: mark it closing, then stop.
	ex, err := c.ContainerExecCreate(t.Context(), old, container.ExecOptions{User: "0", Cmd: []string{"touch", helper.State + "/closing"}})
	if err == nil {
		err = c.ContainerExecStart(t.Context(), ex.ID, container.ExecStartOptions{})
	}
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	go func() {
		time.Sleep(time.Second)
		_ = c.ContainerKill(context.Background(), old, "KILL")
	}()
	stdin := strings.Repeat("line of stdin\n", 1000)
	var out, errb strings.Builder
	code := inProject(t, dir, strings.NewReader(stdin), &out, &errb, "run", "box-sh", "-c", "cat")
	if code != 0 || out.String() != stdin {
		t.Errorf("exit %d, %d bytes out of %d, stderr %q", code, out.Len(), len(stdin), errb.String())
	}
	if now := warmContainers(t, c, project); len(now) != 1 || now[0].ID == old {
		t.Errorf("warm containers after the idle end: %v; want one new one", now)
	}
}

// A warm run's exit code is its command's own, 222 included (the code the
// helper refuses a late run with): the refusal travels apart, and no
// command runs twice.
func TestWarmExitCodesAreExact(t *testing.T) {
	c := testenv.Engine(t)
	dir, _ := runProject(t, c, "warm = \"1m\"\n")
	for _, code := range []int{0, 1, 2, 42, 125, 126, 127, 128, 130, 137, 143, 221, 222, 223, 254, 255} {
		r := sh(t, dir, "echo ran >> runs-"+strconv.Itoa(code)+"; echo once; exit "+strconv.Itoa(code))
		if r.code != code || r.out != "once\n" {
			t.Errorf("exit %d in a warm run: tbx exited %d, stdout %q, stderr %q", code, r.code, r.out, r.err)
		}
		if runs, _ := os.ReadFile(filepath.Join(dir, "runs-"+strconv.Itoa(code))); string(runs) != "ran\n" {
			t.Errorf("exit %d in a warm run: the command ran %d times", code, strings.Count(string(runs), "ran"))
		}
	}
}
