//go:build !windows

package commands

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/lockfile"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// The tests here try tbx as an attacker would, with a clone or a pull that
// changes what a trusted project reaches. Each refusal is one line, exit
// 125, before the Engine is asked anything.

// hostileClone writes a project as a clone brings it, with trust cleared
// (no TBX_TRUST, an empty store); recipe is the tools' part of the recipe.
func hostileClone(t *testing.T, recipe string, files map[string]string) (dir, project string) {
	t.Helper()
	c := testenv.Engine(t)
	testenv.Debian(t, c)
	t.Setenv("TBX_TRUST", "")
	t.Setenv("TBX_WARM", "")
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	project = testenv.Project(t, c)
	dir = filepath.Join(t.TempDir(), "clone")
	all := map[string]string{
		"toolbox.toml":   "[toolbox]\nname = \"" + project + "\"\n" + recipe,
		"img/Dockerfile": "FROM " + testenv.DebianBase + "\nLABEL purpose=attack-test\n",
	}
	for k, v := range files {
		all[k] = v
	}
	writeFiles(t, dir, all)
	return dir, project
}

// refusedWith asserts a one-line refusal, exit 125, naming all of want,
// with no Engine call.
func refusedWith(t *testing.T, what string, r result, calls *testenv.Calls, want ...string) {
	t.Helper()
	ok := r.code == 125 && strings.Count(r.err, "\n") == 1 && r.out == ""
	for _, w := range want {
		ok = ok && strings.Contains(r.err, w)
	}
	if !ok {
		t.Errorf("%s: exit %d, stdout %q, stderr %q; want 125 and one line with %q", what, r.code, r.out, r.err, want)
	}
	if got := calls.All(); len(got) != 0 {
		t.Errorf("%s: the Engine received %v before the refusal", what, got)
	}
	calls.Reset()
}

func swapForLink(t *testing.T, path, target string) {
	t.Helper()
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

// A symlink that a pull swaps in after `tbx trust` cannot mount, read or
// send the host's files: volumes, the CA bundle and secret files are used
// by the real paths they had when trusted, or not at all.
func TestSymlinkSwapsAfterTrustAreRefused(t *testing.T) {
	dir, _ := hostileClone(t, `[tools.box]
build = "img"
commands = ["sh"]
volumes = ["./data:/x"]
ca_bundle = "./ca.pem"
[tools.sec]
build = "img2"
secrets = ["id=tok,src=./token"]
commands = ["sec"]
`, map[string]string{
		"data/keep":       "",
		"ca.pem":          "not a real bundle\n",
		"token":           "s3cret\n",
		"img2/Dockerfile": "FROM " + testenv.DebianBase + "\nRUN --mount=type=secret,id=tok true\n",
	})
	mustTbxIn(t, dir, "trust")
	if r := mustTbxIn(t, dir, "run", "sh", "-c", "ls /x"); r.out != "keep\n" {
		t.Fatalf("the trusted run sees %q in /x", r.out)
	}
	calls := countedEngine(t)
	mark := filepath.Join(t.TempDir(), "MARK")

	swapForLink(t, filepath.Join(dir, "data"), "/")
	r := tbxIn(t, dir, "run", "sh", "-c", "touch /x"+mark)
	refusedWith(t, "a volume swapped for a link to /", r, calls, filepath.Join(dir, "data")+" now leads to /, not to "+filepath.Join(dir, "data"))
	if _, err := os.Stat(mark); err == nil {
		t.Errorf("the command ran and wrote %s on the host", mark)
	}
	show := mustTbxIn(t, dir, "trust", "--show")
	if !strings.Contains(show.out, "not trusted: "+filepath.Join(dir, "data")+" now leads to /") {
		t.Errorf("trust --show does not say where data leads now:\n%s", show.out)
	}
	swapForLink(t, filepath.Join(dir, "data"), filepath.Join(dir, "img"))
	if err := os.RemoveAll(filepath.Join(dir, "data")); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{"data/keep": ""})

	swapForLink(t, filepath.Join(dir, "ca.pem"), "/etc/shadow")
	r = tbxIn(t, dir, "run", "sh", "-c", "cat $SSL_CERT_FILE")
	refusedWith(t, "a CA bundle swapped for /etc/shadow", r, calls, filepath.Join(dir, "ca.pem")+" now leads to /etc/shadow")
	swapForLink(t, filepath.Join(dir, "ca.pem"), "/dev/null")
	_ = os.Remove(filepath.Join(dir, "ca.pem"))
	writeFiles(t, dir, map[string]string{"ca.pem": "not a real bundle\n"})

	swapForLink(t, filepath.Join(dir, "token"), "/etc/passwd")
	r = tbxIn(t, dir, "prepare", "sec")
	refusedWith(t, "a secret file swapped for /etc/passwd", r, calls, filepath.Join(dir, "token")+" now leads to /etc/passwd")
	_ = os.Remove(filepath.Join(dir, "token"))
	writeFiles(t, dir, map[string]string{"token": "s3cret\n"})

	// Trusted by TBX_TRUST, with no record to compare: a path inside the
	// project that leads out of it is refused all the same.
	t.Setenv("TBX_TRUST", filepath.Dir(dir))
	swapForLink(t, filepath.Join(dir, "data"), "/")
	r = tbxIn(t, dir, "run", "sh", "-c", "touch /x"+mark)
	refusedWith(t, "a swapped volume under TBX_TRUST", r, calls, filepath.Join(dir, "data")+" leads outside the project, to /")
}

// Code that runs is trusted too: a file the Dockerfile copies and runs.
func TestEditedContextFileIsRefused(t *testing.T) {
	dir, _ := hostileClone(t, "[tools.box]\nbuild = \"img\"\ncommands = [\"sh\"]\n", map[string]string{
		"img/Dockerfile": "FROM " + testenv.DebianBase + "\nCOPY setup.sh /setup.sh\nRUN sh /setup.sh\n",
		"img/setup.sh":   "echo harmless > /etc/tbx-setup\n",
	})
	mustTbxIn(t, dir, "trust")
	calls := countedEngine(t)
	writeFiles(t, dir, map[string]string{"img/setup.sh": "echo pwned > /etc/tbx-setup\n"})
	for _, cmd := range [][]string{{"prepare"}, {"build", "box"}, {"run", "sh", "-c", "true"}} {
		r := tbxIn(t, dir, cmd...)
		refusedWith(t, "after editing setup.sh: "+cmd[0], r, calls, "refusing to build: the files in "+filepath.Join(dir, "img"), "changed since you trusted the project: setup.sh changed;")
	}
	show := mustTbxIn(t, dir, "trust", "--show")
	if !strings.Contains(show.out, "the files the build of tool box is given: setup.sh changed") {
		t.Errorf("trust --show does not name the changed file:\n%s", show.out)
	}
	mustTbxIn(t, dir, "trust")
	if r := mustTbxIn(t, dir, "trust", "--show"); !strings.HasSuffix(r.out, "\ntrusted\n") {
		t.Errorf("after trusting again: %q", r.out)
	}
}

// Two checkouts that call themselves by the same name never share a HOME;
// a HOME that an older tbx kept by the name alone moves once, with a note.
func TestSameNameClonesDoNotShareState(t *testing.T) {
	c := testenv.Engine(t)
	testenv.Debian(t, c)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	project := testenv.Project(t, c)
	write := func(name string) string {
		dir := filepath.Join(t.TempDir(), name)
		writeFiles(t, dir, map[string]string{
			"toolbox.toml":   "[toolbox]\nname = \"" + project + "\"\n[tools.box]\nbuild = \"img\"\ncommands = [\"sh\"]\nvolumes = [\"cache:/cache\"]\n",
			"img/Dockerfile": "FROM " + testenv.DebianBase + "\nLABEL purpose=same-name-test\n",
		})
		return dir
	}
	mine, theirs := write("mine"), write("theirs")
	old := filepath.Join(os.Getenv("XDG_STATE_HOME"), "tbx", "home", project, "box")
	writeFiles(t, old, map[string]string{".azure/token": "kept\n"})

	r := mustTbxIn(t, mine, "run", "sh", "-c", "cat $HOME/.azure/token; echo mine > /cache/v")
	if r.out != "kept\n" || !strings.Contains(r.err, "moved the HOME of tool box from "+old) {
		t.Errorf("the older HOME was not moved once, with a note: out %q, err %q", r.out, r.err)
	}
	r = tbxIn(t, theirs, "run", "sh", "-c", "cat $HOME/.azure/token; cat /cache/v")
	if r.code == 0 || strings.Contains(r.out, "kept") || strings.Contains(r.out, "mine") {
		t.Errorf("a clone with the same name reads the other's state: exit %d, out %q", r.code, r.out)
	}
	if r := mustTbxIn(t, mine, "run", "sh", "-c", "cat $HOME/.azure/token /cache/v"); r.out != "kept\nmine\n" {
		t.Errorf("the first checkout lost its state: %q", r.out)
	}
}

// gc acts on what it owns: this project's objects, made by this user. A
// warm container with a run in it is kept, whoever asks.
func TestGCActsOnWhatItOwns(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := runProject(t, c, "")
	t.Setenv("TBX_WARM", "5m")
	cmd := tbxProcess(dir, "run", "box-sh", "-c", "echo ready; sleep 20; echo done")
	var out bytes.Buffer
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitLine(t, stdout, "ready")
	// Containers of other projects and of another user, made the way tbx
	// labels them, stopped: orphans to a gc that judged by label alone.
	other := testenv.Project(t, c)
	strangers := []map[string]string{
		{labels.Project: other, labels.Tool: "box", labels.Owner: strconv.Itoa(os.Getuid()), labels.Root: "0123456789ab", labels.Launch: "1@elsewhere"},
		{labels.Project: project, labels.Tool: "box", labels.Owner: "4343", labels.Root: "0123456789ab"},
	}
	var ids []string
	for _, l := range strangers {
		ct, err := c.ContainerCreate(context.Background(), &container.Config{Image: testenv.DebianBase, Cmd: []string{"true"}, Labels: l}, nil, nil, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ct.ID)
		t.Cleanup(func() { testenv.RemoveContainer(c, ct.ID) })
	}
	elsewhere := t.TempDir()
	writeFiles(t, elsewhere, map[string]string{"toolbox.toml": "[toolbox]\nname = \"" + other + "\"\n[tools.x]\nimage = \"x:1\"\n"})
	for _, args := range [][]string{{"gc"}, {"gc", "--warm"}} {
		r := tbxIn(t, elsewhere, args...)
		if r.code != 0 || strings.Contains(r.out, "removed") {
			t.Errorf("tbx %v in another project: exit %d, out %q, err %q", args, r.code, r.out, r.err)
		}
	}
	// --all: every project of this user; the other project's container is
	// ours to remove, the busy warm container is kept.
	// (Other projects of this user on a shared Engine may be listed too.)
	busy := warmContainers(t, c, project)
	if len(busy) != 1 {
		t.Fatalf("%d warm containers of the project; want the busy one", len(busy))
	}
	r := tbxIn(t, dir, "gc", "--all", "--dry-run")
	if r.code != 0 || !strings.Contains(r.out, "would remove container "+ids[0][:12]) || strings.Contains(r.out, ids[1][:12]) ||
		strings.Contains(r.out, busy[0].ID[:12]) || !strings.Contains(r.err, "kept container "+busy[0].ID[:12]) {
		t.Errorf("gc --all -n with a warm run in flight: exit %d, out %q, err %q", r.code, r.out, r.err)
	}
	if r := tbxIn(t, dir, "gc", "--warm"); r.code != 0 || strings.Contains(r.out, "removed") || !strings.Contains(r.err, "a run in it: kept") {
		t.Errorf("gc --warm with a warm run in flight: exit %d, out %q, err %q", r.code, r.out, r.err)
	}
	// Another user: nothing of ours, nor of a third user's, is theirs.
	other2 := exec.Command(tbxBin, "gc", "--all")
	other2.Dir = "/"
	home := t.TempDir()
	_ = os.Chmod(home, 0o777)
	asUser(t, other2, 4242, 4242, home)
	var errb bytes.Buffer
	other2.Stdout, other2.Stderr = &out, &errb
	if code := exitCode(other2.Run()); code != 0 || strings.Contains(out.String(), "removed") {
		t.Errorf("gc --all as another user: exit %d, out %q, err %q", code, out.String(), errb.String())
	}
	waitLine(t, stdout, "done")
	if code := exitCode(cmd.Wait()); code != 0 {
		t.Errorf("the warm run in flight ended %d", code)
	}
	for _, id := range ids {
		if _, err := c.ContainerInspect(context.Background(), id); err != nil {
			t.Errorf("gc removed a container it does not own: %v", err)
		}
	}
	_ = project
}

// A hostile clone cannot make reading it hang or eat memory: a Dockerfile
// that leads to a device, or is a FIFO, makes its tool broken, said at once
// in a line that names it, and acting on it is refused; a recipe that is a
// FIFO is refused in one line.
func TestReadingHostileFilesIsSafe(t *testing.T) {
	dir, _ := hostileClone(t, "[tools.box]\nbuild = \"img\"\ncommands = [\"sh\"]\n", nil)
	df := filepath.Join(dir, "img", "Dockerfile")
	swapForLink(t, df, "/dev/zero")
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"ls"}, 0, "tool box: reading the Dockerfile " + df + ": outside"},
		{[]string{"trust"}, 0, "tool box: reading the Dockerfile " + df + ": outside"},
		{[]string{"doctor"}, 1, "tool box: reading the Dockerfile " + df + ": outside"},
		{[]string{"--trust", "prepare"}, 125, df + " leads outside the project, to /dev/zero"},
	} {
		code, output := timedTbx(t, dir, tc.args...)
		if code != tc.code || !strings.Contains(output, tc.says) || strings.Contains(output, "goroutine") {
			t.Errorf("tbx %v with a Dockerfile leading to /dev/zero: exit %d, output %q; want %d and %q", tc.args, code, output, tc.code, tc.says)
		}
	}
	_ = os.Remove(df)
	if err := syscall.Mkfifo(df, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
	}{{[]string{"ls"}, 0}, {[]string{"--trust", "prepare"}, 125}} {
		if code, output := timedTbx(t, dir, tc.args...); code != tc.code || !strings.Contains(output, "reading the Dockerfile "+df+": not a regular file (a FIFO)") {
			t.Errorf("tbx %v with a FIFO Dockerfile: exit %d, output %q; want %d", tc.args, code, output, tc.code)
		}
	}
	_ = os.Remove(filepath.Join(dir, "toolbox.toml"))
	if err := syscall.Mkfifo(filepath.Join(dir, "toolbox.toml"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"ls"}, {"run", "sh"}, {"shim", "sh"}, {"trust"}} {
		code, stderr := timedTbx(t, dir, args...)
		if code != 125 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "is not a regular file (a FIFO)") {
			t.Errorf("tbx %v with a FIFO recipe: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// A build context outside an untrusted project is not read by ls.
func TestOutsideContextIsReadOnlyOnceTrusted(t *testing.T) {
	dir, _ := hostileClone(t, "[tools.box]\nbuild = \"../outside\"\ncommands = [\"sh\"]\n", map[string]string{
		"../outside/Dockerfile": "FROM " + testenv.DebianBase + "\n",
	})
	r := mustTbxIn(t, dir, "ls")
	if !strings.Contains(r.out, "unchecked") {
		t.Errorf("ls of an untrusted project with an outside context:\n%s", r.out)
	}
	mustTbxIn(t, dir, "trust")
	if r := mustTbxIn(t, dir, "ls"); strings.Contains(r.out, "unchecked") {
		t.Errorf("ls once trusted:\n%s", r.out)
	}
}

// timedTbx runs tbx as a process in dir and kills it after 10 s (exit -1);
// it returns the exit code and what it printed, stdout and stderr as they
// came.
func timedTbx(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, tbxBin, args...)
	cmd.Dir = dir
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &errb, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		return -1, errb.String()
	}
	return exitCode(err), errb.String()
}

// toolbox.lock cannot redirect a tool or a base to another image, whatever
// the trust store says; lock --check names the edit.
func TestEditedLockIsRefused(t *testing.T) {
	digest := "sha256:" + strings.Repeat("a", 64)
	recipe := "[tools.box]\nbuild = \"img\"\ncommands = [\"sh\"]\n[tools.jq]\nimage = \"127.0.0.1:5000/team/jq:1.7\"\n"
	cases := map[string]struct {
		edit func(*lockfile.Lock)
		want string
	}{
		"a pulled tool's image": {func(l *lockfile.Lock) {
			l.Tools["jq"] = lockfile.Tool{Ref: "127.0.0.1:5000/team/jq:1.7", Digest: digest, Image: "127.0.0.1:5000/evil/jq@" + digest}
		}, "tool jq: the lock runs 127.0.0.1:5000/evil/jq@" + digest},
		"a base": {func(l *lockfile.Lock) {
			l.Bases[testenv.DebianBase] = lockfile.Base{Digest: digest, Image: "docker.io/evil/debian@" + digest}
		}, "base image " + testenv.DebianBase + ": the lock builds from docker.io/evil/debian@"},
		"an unknown tool": {func(l *lockfile.Lock) {
			l.Tools["ghost"] = lockfile.Tool{Hash: strings.Repeat("0", 64)}
		}, "it pins tool ghost, which the recipe does not have"},
		"an image for a built tool": {func(l *lockfile.Lock) {
			l.Tools["box"] = lockfile.Tool{Hash: strings.Repeat("0", 64), Image: "evil/box@" + digest}
		}, "tool box is built, but the lock pins an image for it"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir, _ := hostileClone(t, recipe, nil)
			l := lockfile.New()
			c.edit(l)
			if err := lockfile.Write(filepath.Join(dir, lockfile.FileName), l); err != nil {
				t.Fatal(err)
			}
			mustTbxIn(t, dir, "trust") // the user trusted it: the lock is refused all the same
			calls := countedEngine(t)
			for _, cmd := range [][]string{{"run", "sh", "-c", "true"}, {"prepare"}, {"--trust", "prepare", "--frozen"}} {
				r := tbxIn(t, dir, cmd...)
				refusedWith(t, strings.Join(cmd, " "), r, calls, "toolbox.lock does not match the recipe", c.want)
			}
			r := tbxIn(t, dir, "lock", "--check")
			if r.code != 1 || !strings.Contains(r.out, c.want) {
				t.Errorf("lock --check: exit %d, stdout %q, stderr %q; want 1 and %q", r.code, r.out, r.err, c.want)
			}
		})
	}
}
