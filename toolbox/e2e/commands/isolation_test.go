//go:build linux

package commands

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/creack/pty"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"

	"github.com/tbx-dev/tbx/toolbox/front"
	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/project"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// spareProject is runProject with spares on; their makers are done
// before the project's containers are removed.
func spareProject(t *testing.T, c *client.Client) (dir, project string) {
	t.Helper()
	t.Setenv("TBX_SPARE", "2m")
	dir, project = runProject(t, c, "")
	t.Cleanup(func() { makersDone(t) })
	return dir, project
}

// sparesOf lists the running spares of the checkout in dir, found by its
// identity (the digest of its real root), not by its project's name.
func sparesOf(t *testing.T, c *client.Client, dir string) []string {
	t.Helper()
	return sparesOfUser(t, c, dir, os.Getuid())
}

// sparesOfUser lists the running spares that user uid made of the
// checkout in dir.
func sparesOfUser(t *testing.T, c *client.Client, dir string, uid int) []string {
	t.Helper()
	makersDone(t)
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := labels.Owned(strconv.Itoa(uid), project.Identity(real))
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
	a, name := spareProject(t, c)
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

	inFlight(t, tbxProcess(a, "run", "box-sh", "-c", longRun), func() {
		if r := spareRun(t, b, nil, nil, "run", "box-sh", "-c", "echo b"); r.code != 0 || r.out != "b\n" {
			t.Errorf("the clone's run: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
		}
	})
}

// longRun is a command that says it started, and is still running for a
// while after.
const longRun = "echo started; sleep 3; echo done; exit 3"

// inFlight starts long, a tbx running longRun, and once its command has
// started calls meanwhile; long must end as its command does, whatever
// meanwhile did (and the spares' makers it started).
func inFlight(t *testing.T, long *exec.Cmd, meanwhile func()) {
	t.Helper()
	out, err := long.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	long.Stderr = &errb
	if err := long.Start(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(out)
	waitLine(t, br, "started")
	meanwhile()
	makersDone(t) // the next spares are made while the run goes on
	rest, _ := readAll(br)
	if code := exitCode(long.Wait()); code != 3 || rest != "done\n" {
		t.Errorf("a run in flight while another ran: exit %d, then stdout %q, stderr %q; want 3 and \"done\"", code, rest, errb.String())
	}
}

// Two users of one checkout (one project identity, two owners) never end
// or evict each other's spares: each has a command in flight while the
// other runs, and both end with their own output and exit code.
func TestSparesAreEachUsersOwn(t *testing.T) {
	const uid, gid = 4343, 4343
	if podmanRun {
		t.Skip("the test's Podman serves root alone")
	}
	c := testenv.Engine(t)
	dir, _ := spareProject(t, c)
	home := filepath.Join(t.TempDir(), "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	testenv.ChownTree(t, dir, uid, gid)
	testenv.ChownTree(t, home, uid, gid)
	other := func(args ...string) *exec.Cmd {
		cmd := tbxProcess(dir, args...)
		asUser(t, cmd, uid, gid, home)
		return cmd
	}
	if out, err := other("run", "box-sh", "-c", "true").CombinedOutput(); err != nil {
		t.Fatalf("the other user's first run: %v\n%s", err, out)
	}
	spareRun(t, dir, nil, nil, "run", "box-sh", "-c", "true")
	mine, theirs := sparesOfUser(t, c, dir, os.Getuid()), sparesOfUser(t, c, dir, uid)
	if len(mine) != 1 || len(theirs) != 1 {
		myLog, _ := os.ReadFile(filepath.Join(os.Getenv("XDG_STATE_HOME"), "tbx", front.SpareLog))
		theirLog, _ := os.ReadFile(filepath.Join(home, ".local", "state", "tbx", front.SpareLog))
		t.Fatalf("after a run of each user of one checkout: %d spares of mine, %d of theirs; want one each; my last maker said %q, theirs %q", len(mine), len(theirs), myLog, theirLog)
	}
	inFlight(t, tbxProcess(dir, "run", "box-sh", "-c", longRun), func() {
		if out, err := other("run", "box-sh", "-c", "echo theirs").CombinedOutput(); err != nil || string(out) != "theirs\n" {
			t.Errorf("the other user's run, while mine was in flight: %v, %q", err, out)
		}
	})
	inFlight(t, other("run", "box-sh", "-c", longRun), func() {
		if r := spareRun(t, dir, nil, nil, "run", "box-sh", "-c", "echo mine"); r.code != 0 || r.out != "mine\n" {
			t.Errorf("my run, while the other user's was in flight: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
		}
	})
}

// escape is a root command that leaves a process of a session of its own
// and kills its parent (a run's reaper, or an exec's helper), which would
// have ended it at the run's end.
const escape = `setsid sh -c 'while :; do sleep 1; done' </dev/null >/dev/null 2>&1 & sleep 0.3; kill -9 $PPID; sleep 5`

// sleepers counts the processes called sleep in the container.
const sleepers = `n=0; for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = sleep ] && n=$((n+1)); done; echo $n`

// Whatever a root command does, nothing it started outlives its run: in a
// warm container the next run meets none of it, and a claimed spare goes
// when its run ends.
func TestNothingOutlivesItsRun(t *testing.T) {
	c := testenv.Engine(t)
	for _, path := range []struct{ name, direct string }{{"warm", ""}, {"warm exec", "0"}} {
		t.Run(path.name, func(t *testing.T) {
			t.Setenv("TBX_WARM", "2m")
			t.Setenv("TBX_DIRECT", path.direct)
			dir, _ := runProject(t, c, "")
			spareRun(t, dir, nil, nil, "run", "box-sh", "-c", "true") // the warm container, started
			r := spareRun(t, dir, nil, nil, "run", "box-sh", "-c", escape)
			if r.code == 0 {
				t.Errorf("a command that killed its reaper: exit 0, %s", r.err)
			}
			if r := spareRun(t, dir, nil, nil, "run", "box-sh", "-c", sleepers); r.code != 0 || r.out != "0\n" {
				t.Errorf("the next run in the warm container: exit %d, %q sleepers left by the one before, %s", r.code, r.out, r.err)
			}
		})
	}
	t.Run("spare", func(t *testing.T) {
		dir, project := spareProject(t, c)
		spareRun(t, dir, nil, nil, "run", "box-sh", "-c", "true")
		claimed := theSpare(t, c, project)
		r := spareRun(t, dir, nil, nil, "run", "box-sh", "-c", "hostname; "+escape)
		if r.code == 0 || r.out != claimed.Config.Hostname+"\n" {
			t.Fatalf("the escaping run, in the spare %s: exit %d, stdout %q, stderr %s", claimed.Config.Hostname, r.code, r.out, r.err)
		}
		waitRemoved(t, c, claimed.ID)
	})
}

// A warm container's reaper serves one run after another, and a run
// after one whose root command changed what the reaper's children
// inherit (its limits; the nice value of each of its threads) gets a new
// reaper, as it was when started, or, when PID 1's were changed too, a
// new container: the next command has the limits and nice value the
// first one had.
func TestAReusedReaperIsAsItWas(t *testing.T) {
	c := testenv.Engine(t)
	t.Setenv("TBX_WARM", "2m")
	dir, _ := runProject(t, c, "")
	const look = "ulimit -n; nice; echo $PPID"
	spareRun(t, dir, nil, nil, "run", "box-sh", "-c", "true") // the warm container, started
	first := spareRun(t, dir, nil, nil, "run", "box-sh", "-c", look)
	second := spareRun(t, dir, nil, nil, "run", "box-sh", "-c", look)
	if first.code != 0 || second.code != 0 || first.out != second.out {
		t.Fatalf("two runs in a row: %q (%s) then %q (%s); want one reaper, the same limits", first.out, first.err, second.out, second.err)
	}
	traits := func(out string) string { return out[:strings.LastIndex(strings.TrimSuffix(out, "\n"), "\n")+1] }
	for _, change := range []string{
		"prlimit --pid $PPID --nofile=64:64",
		"renice -n 7 -p $(ls /proc/$PPID/task | grep -vx $PPID) >/dev/null", // all threads but the first
		// PID 1's, which a new reaper would inherit: the container goes.
		"prlimit --pid 1 --nofile=64:64 && prlimit --pid $PPID --nofile=64:64",
	} {
		tamper := spareRun(t, dir, nil, nil, "run", "box-sh", "-c", change+" && echo $PPID")
		if tamper.code != 0 {
			t.Fatalf("the root command that changes its reaper (%s): exit %d, %s", change, tamper.code, tamper.err)
		}
		after := spareRun(t, dir, nil, nil, "run", "box-sh", "-c", look)
		if after.code != 0 || traits(after.out) != traits(first.out) || strings.HasSuffix(after.out, "\n"+tamper.out) {
			t.Errorf("the run after `%s`: %q (%s); want the limits and nice value of %q, under another reaper than %q", change, after.out, after.err, first.out, tamper.out)
		}
	}
}

// A root command can stop a reaper that waits for a run (one of a run
// beside its own): the next run handed to it still starts, rather than
// wait for a process that does not run.
func TestAStoppedReaperStillServes(t *testing.T) {
	c := testenv.Engine(t)
	t.Setenv("TBX_WARM", "2m")
	dir, _ := runProject(t, c, "")
	spareRun(t, dir, nil, nil, "run", "box-sh", "-c", "true") // the warm container, started
	// In flight, a: once told, it stops every child of PID 1 but its own
	// reaper, which is b's, waiting for the next run once b is over.
	a := tbxProcess(dir, "run", "box-sh", "-c", `echo ready; read go; for f in $(grep -l '^PPid:[[:space:]]*1$' /proc/[0-9]*/status); do p=${f#/proc/}; p=${p%/status}; [ "$p" = "$PPID" ] || kill -STOP "$p"; done; echo stopped`)
	in, err := a.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := a.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewReader(out)
	waitLine(t, lines, "ready")
	if r := spareRun(t, dir, nil, nil, "run", "box-sh", "-c", "echo b"); r.code != 0 || r.out != "b\n" {
		t.Fatalf("the run beside: exit %d, %q, %s", r.code, r.out, r.err)
	}
	_, _ = in.Write([]byte("go\n"))
	waitLine(t, lines, "stopped")
	if code := exitCode(a.Wait()); code != 0 {
		t.Fatalf("the run that stops the waiting reaper: exit %d", code)
	}
	// A run handed to a reaper that stays stopped never ends: timedTbx
	// kills it after 10 s (exit -1).
	if code, output := timedTbx(t, dir, "run", "box-sh", "-c", "echo next"); code != 0 || output != "next\n" {
		t.Errorf("the run after: exit %d (-1: did not end in 10 s), output %q", code, output)
	}
}

// No command decides a later run, or gets more than its streams: a warm
// container's state is root's to write, an exec run's command runs as the
// user PID 1 resolved, and a command has descriptors 0, 1 and 2 only, on
// the socket's path and the Engine's exec alike.
func TestWarmStateIsRootsAlone(t *testing.T) {
	c := testenv.Engine(t)
	t.Setenv("TBX_WARM", "2m")
	dir, _ := runProject(t, c, "user = \"image\"\n")
	writeFiles(t, dir, map[string]string{"img/Dockerfile": "FROM " + testenv.DebianBase + "\nRUN ln -s /bin/sh /usr/local/bin/box-sh\nUSER 65534:65534\n"})
	mustTbx(t, "-f", filepath.Join(dir, "toolbox.toml"), "prepare")
	for _, path := range []struct{ name, direct string }{{"socket", ""}, {"exec", "0"}} {
		t.Run(path.name, func(t *testing.T) {
			env := []string{"TBX_DIRECT=" + path.direct}
			r := spareRun(t, dir, nil, env, "run", "box-sh", "-c", "id -u; ls /proc/$$/fd | tr '\\n' ' '; echo; echo no > /run/tbx-warm/state/refused")
			if r.code == 0 || r.out != "65534\n0 1 2 \n" {
				t.Errorf("a command of uid 65534: exit %d, stdout %q (want its uid, descriptors 0 1 2, and a refused write), stderr %q", r.code, r.out, r.err)
			}
			if r := spareRun(t, dir, nil, env, "run", "box-sh", "-c", "echo next"); r.code != 0 || r.out != "next\n" {
				t.Errorf("the run after: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
			}
		})
	}
}

// A spare serves a run from any directory of its project; gc right after
// a run wins over the maker that run started; untrust has the project's
// spares and warm containers go; gc calls a spare a spare.
func TestSparesServeTheWholeProject(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := spareProject(t, c)
	sub := filepath.Join(dir, "docs", "deep")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}

	spareRun(t, dir, nil, nil, "run", "box-sh", "-c", "true")
	s := theSpare(t, c, project)
	if r := spareRun(t, sub, nil, nil, "run", "box-sh", "-c", "hostname; pwd"); r.code != 0 || r.out != s.Config.Hostname+"\n"+sub+"\n" {
		t.Errorf("a run from %s: exit %d, stdout %q, stderr %q; want the spare %s, in that directory", sub, r.code, r.out, r.err, s.Config.Hostname)
	}
	next := theSpare(t, c, project)
	if r := spareRun(t, dir, nil, nil, "run", "box-sh", "-c", "hostname"); r.code != 0 || r.out != next.Config.Hostname+"\n" {
		t.Errorf("a run from the root after one from %s: exit %d, stdout %q; want the spare %s", sub, r.code, r.out, next.Config.Hostname)
	}

	theSpare(t, c, project)
	if r := spareRun(t, dir, nil, nil, "gc"); r.code != 0 || !strings.Contains(r.out, "): spare") {
		t.Errorf("gc of a spare: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
	// Right after a run, its maker may not have made its spare yet: gc
	// finds it or nothing, and either way no spare is left once it is done.
	spareRun(t, dir, nil, nil, "run", "box-sh", "-c", "true")
	if r := spareRun(t, dir, nil, nil, "gc"); r.code != 0 {
		t.Errorf("gc right after a run: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
	makersDone(t)
	if left := spares(t, c, project); len(left) != 0 {
		log, _ := os.ReadFile(filepath.Join(os.Getenv("XDG_STATE_HOME"), "tbx", "spare.log"))
		marks, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_STATE_HOME"), "tbx", "collected", "*"))
		t.Errorf("gc right after a run: %d spares left once the run's maker was done; it said %q; marks %v", len(left), log, marks)
	}

	spareRun(t, dir, nil, nil, "run", "box-sh", "-c", "true")
	s = theSpare(t, c, project)
	untrusted := []string{"TBX_TRUST="}
	spareRun(t, dir, nil, untrusted, "trust")
	if r := spareRun(t, dir, nil, untrusted, "untrust"); r.code != 0 {
		t.Fatalf("untrust: exit %d, %s", r.code, r.err)
	}
	waitRemoved(t, c, s.ID)
}

// The trust summary says who a tool that runs as its image's own user
// runs as, once its image is on the Engine: root is said to be root.
func TestTrustSaysWhoTheImagesUserIs(t *testing.T) {
	c := testenv.Engine(t)
	dir, _ := runProject(t, c, "user = \"image\"\n")
	r := spareRun(t, dir, nil, nil, "trust", "--show")
	if r.code != 0 || !strings.Contains(r.out, "the image's own user, not you: root (uid 0) in the image on this Engine; may read and write every file") {
		t.Errorf("trust --show of a tool whose image's user is root: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
	writeFiles(t, dir, map[string]string{"img/Dockerfile": "FROM " + testenv.DebianBase + "\nRUN ln -s /bin/sh /usr/local/bin/box-sh\nUSER 65534:65534\n"})
	mustTbx(t, "-f", filepath.Join(dir, "toolbox.toml"), "prepare")
	if r := spareRun(t, dir, nil, nil, "trust", "--show"); !strings.Contains(r.out, "not you: 65534:65534 in the image on this Engine\n") {
		t.Errorf("trust --show of a tool whose image's user is 65534: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
}

// A command starts with the signals of a throwaway run's command, none
// ignored or blocked that are not there, on every path a run takes: a
// spare, a warm container through its helper's socket and through an
// Engine exec, with a terminal and without.
func TestEveryPathStartsItsCommandWithAThrowawayRunsSignals(t *testing.T) {
	c := testenv.Engine(t)
	dir, _ := spareProject(t, c)
	look := "grep -E '^Sig(Ign|Blk)' /proc/self/status"
	paths := []struct {
		name string
		env  []string
	}{
		{"throwaway", []string{"TBX_SPARE=off", "TBX_WARM=off"}},
		{"spare", []string{"TBX_WARM=off"}},
		{"socket", []string{"TBX_WARM=2m", "TBX_DIRECT="}},
		{"exec", []string{"TBX_WARM=2m", "TBX_DIRECT=0"}},
	}
	for _, tty := range []bool{false, true} {
		want := ""
		for _, path := range paths {
			for round := 0; round < 2; round++ { // the second is a spare's, or a warm container's second
				got := signalsRun(t, dir, tty, path.env, "run", "box-sh", "-c", look)
				if want == "" {
					want = got
					if !strings.Contains(want, "SigIgn:") {
						t.Fatalf("a throwaway run (terminal %v) printed %q", tty, want)
					}
				}
				if got != want {
					t.Errorf("%s, round %d, terminal %v: the command starts with %q; a throwaway run's starts with %q", path.name, round+1, tty, got, want)
				}
			}
		}
	}
}

// signalsRun is spareRun's stdout, on a terminal of its own when tty is
// true (then with the terminal's line ends made plain).
func signalsRun(t *testing.T, dir string, tty bool, env []string, args ...string) string {
	t.Helper()
	if !tty {
		r := spareRun(t, dir, nil, env, args...)
		if r.code != 0 {
			t.Fatalf("tbx %v: exit %d, %s", args, r.code, r.err)
		}
		return r.out
	}
	cmd := tbxProcess(dir, args...)
	cmd.Env = append(cmd.Env, env...)
	f, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out, _ := io.ReadAll(f) // until the terminal's last writer is gone: EIO
	if code := exitCode(cmd.Wait()); code != 0 {
		t.Fatalf("tbx %v on a terminal: exit %d, %q", args, code, out)
	}
	return strings.ReplaceAll(string(out), "\r\n", "\n")
}
