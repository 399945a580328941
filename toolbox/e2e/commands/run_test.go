//go:build !windows

package commands

import (
	"bytes"
	"crypto/sha256"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tbx-dev/tbx/toolbox/cli"

	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"

	"github.com/tbx-dev/tbx/toolbox/helper"
	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// runProjects are the projects runProject (and the tests of the run path
// that write their own) wrote, in order.
var runProjects []string

// runProject writes a project whose tool "box" is plain Debian, with extra
// TOML keys for the tool, in a directory whose name has a space and
// non-ASCII letters; it returns the project root and name.
func runProject(t *testing.T, c *client.Client, extra string) (dir, project string) {
	t.Helper()
	testenv.Debian(t, c)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	project = testenv.Project(t, c)
	runProjects = append(runProjects, project)
	dir = filepath.Join(t.TempDir(), "my proj ç")
	writeFiles(t, dir, map[string]string{
		"toolbox.toml":   "[toolbox]\nname = \"" + project + "\"\n[tools.box]\nbuild = \"img\"\ncommands = [\"box-sh\"]\n" + extra,
		"img/Dockerfile": "FROM " + testenv.DebianBase + "\nRUN ln -s /bin/sh /usr/local/bin/box-sh && echo 'echo no' > /usr/local/bin/box-noexec\n",
	})
	mustTbx(t, "-f", filepath.Join(dir, "toolbox.toml"), "--progress", "plain", "prepare")
	if os.Getenv("TBX_WARM") != "" {
		since := time.Now()
		t.Cleanup(func() {
			if warmStarts(t, c, project, since) == 0 {
				t.Error("TBX_WARM is set, but no run was warm")
			}
		})
	}
	return dir, project
}

// inProject runs tbx in-process from dir with stdin.
func inProject(t *testing.T, dir string, stdin io.Reader, stdout, stderr io.Writer, args ...string) int {
	t.Helper()
	t.Chdir(dir)
	return cli.Main(append([]string{"tbx"}, args...), stdin, stdout, stderr)
}

// sh runs a shell script in the box tool and returns what it printed.
func sh(t *testing.T, dir, script string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := inProject(t, dir, strings.NewReader(""), &out, &errb, "run", "box-sh", "-c", script)
	return result{out.String(), errb.String(), code}
}

// noContainersLeft asserts that the runs of project left no container, and
// that its warm containers, which stay, run no command.
func noContainersLeft(t *testing.T, c *client.Client, project string) {
	t.Helper()
	var left []string
	for _, ct := range testenv.LeftContainers(t, c, labels.Project+"="+project) {
		if ct.Labels[labels.Warm] == "" {
			left = append(left, ct.ID)
		} else if cmds := commandsIn(t, c, ct.ID); len(cmds) != 0 {
			t.Errorf("commands still running in the warm container: %v", cmds)
		}
	}
	if len(left) != 0 {
		t.Errorf("containers left behind: %d", len(left))
	}
}

// commandsIn lists the processes of a warm container other than its helper
// PID 1 and the reaper it keeps started ahead for the next run (a reaper
// with no process under it), waiting a little for the ones that are
// ending.
func commandsIn(t *testing.T, c *client.Client, id string) []string {
	t.Helper()
	var cmds []string
	for i := 0; i < 50; i++ {
		top, err := c.ContainerTop(t.Context(), id, []string{"-o", "pid,ppid,args"})
		if err != nil {
			return nil // it stopped
		}
		parents := map[string]bool{}
		for _, p := range top.Processes {
			parents[p[1]] = true
		}
		cmds = cmds[:0]
		for _, p := range top.Processes {
			args := p[len(p)-1]
			reaperHandle := strings.HasSuffix(args, helper.Command+" reap") && !parents[p[0]]
			if !strings.Contains(args, helper.Command+" init") && !reaperHandle {
				cmds = append(cmds, args)
			}
		}
		if len(cmds) == 0 {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return cmds
}

func TestRunExitCodes(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := runProject(t, c, "")
	for _, code := range []int{0, 1, 42, 255} {
		if r := sh(t, dir, "exit "+strconv.Itoa(code)); r.code != code {
			t.Errorf("exit %d: tbx exited %d (%s)", code, r.code, r.err)
		}
	}
	if r := sh(t, dir, "kill -TERM $$"); r.code != 128+15 {
		t.Errorf("killed by SIGTERM: tbx exited %d, want 143", r.code)
	}
	if r := tbxIn(t, dir, "run", "--tool", "box", "--", "no-such-command"); r.code != 127 || !strings.Contains(r.err, "tool box: command not found in the image tbx/") {
		t.Errorf("missing command: exit %d, want 127, naming the tool and image (%s)", r.code, r.err)
	}
	if r := tbxIn(t, dir, "run", "--tool", "box", "--", "/etc/hostname"); r.code != 126 || !strings.Contains(r.err, "tool box: command cannot be invoked in the image tbx/") {
		t.Errorf("not executable: exit %d, want 126, naming the tool and image (%s)", r.code, r.err)
	}
	if r := tbxIn(t, dir, "run", "--tool", "box", "--", "box-noexec"); r.code != 126 || !strings.Contains(r.err, "box-noexec is in the image at /usr/local/bin/box-noexec, but is not executable") {
		t.Errorf("a file on PATH that is not executable: exit %d, want 126 (%s)", r.code, r.err)
	}
	if r := tbxIn(t, dir, "run", "no-such-command"); r.code != 127 || !strings.Contains(r.err, "no such command") || !strings.Contains(r.err, "box-sh") {
		t.Errorf("unknown recipe command: exit %d, stderr %q", r.code, r.err)
	}
	if r := tbxIn(t, dir, "run", "--tool", "nope", "--", "true"); r.code != 125 || !strings.Contains(r.err, `no tool "nope"`) {
		t.Errorf("unknown tool: exit %d, stderr %q", r.code, r.err)
	}
	noContainersLeft(t, c, project)
}

func TestRunExitCodesWithoutInit(t *testing.T) {
	c := testenv.Engine(t)
	dir, _ := runProject(t, c, "init = false\n")
	if r := sh(t, dir, "echo $$; exit 7"); r.code != 7 || r.out != "1\n" {
		t.Errorf("without init the command is PID 1 and its code comes back: exit %d, out %q", r.code, r.out)
	}
	if r := tbxIn(t, dir, "run", "--tool", "box", "--", "no-such-command"); r.code != 127 {
		t.Errorf("missing command without init: exit %d, want 127 (%s)", r.code, r.err)
	}
}

func TestRunInitIsDefault(t *testing.T) {
	c := testenv.Engine(t)
	dir, _ := runProject(t, c, "")
	if r := sh(t, dir, "echo $$"); r.code != 0 || r.out == "1\n" {
		t.Errorf("with the default init the command is not PID 1: %q", r.out)
	}
}

func tbxIn(t *testing.T, dir string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := inProject(t, dir, strings.NewReader(""), &out, &errb, args...)
	return result{out.String(), errb.String(), code}
}

func TestRunBinaryStdinIsBitExact(t *testing.T) {
	c := testenv.Engine(t)
	dir, _ := runProject(t, c, "")
	const size = 100 << 20
	src := io.LimitReader(rand.New(rand.NewSource(1)), size)
	want := sha256.New()
	got := sha256.New()
	var n countingWriter
	var errb bytes.Buffer
	code := inProject(t, dir, io.TeeReader(src, want), io.MultiWriter(got, &n), &errb, "run", "box-sh", "-c", "cat")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if n != size || !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Fatalf("stdout is %d bytes and differs from the %d bytes of stdin", n, size)
	}
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

func TestRunKeepsStdoutAndStderrApart(t *testing.T) {
	c := testenv.Engine(t)
	dir, _ := runProject(t, c, "")
	r := sh(t, dir, "for i in 1 2 3; do echo out$i; echo err$i >&2; done; printf 'no newline'")
	if r.out != "out1\nout2\nout3\nno newline" || r.err != "err1\nerr2\nerr3\n" {
		t.Errorf("stdout %q, stderr %q", r.out, r.err)
	}
	if r := sh(t, dir, "test -t 0 || test -t 1 || echo no tty"); r.out != "no tty\n" {
		t.Errorf("a TTY was allocated for piped streams: %q", r.out)
	}
}

func TestRunWorkspaceAndWorkdir(t *testing.T) {
	c := testenv.Engine(t)
	dir, _ := runProject(t, c, "")
	sub := filepath.Join(dir, "sub dir", "ü")
	writeFiles(t, sub, map[string]string{"in.txt": "from host\n"})
	var out, errb bytes.Buffer
	code := inProject(t, sub, strings.NewReader(""), &out, &errb, "run", "box-sh", "-c", "pwd; cat in.txt; echo made > out.txt")
	if code != 0 || out.String() != sub+"\nfrom host\n" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, out.String(), errb.String())
	}
	if b, err := os.ReadFile(filepath.Join(sub, "out.txt")); err != nil || string(b) != "made\n" {
		t.Errorf("file written in the container: %q %v", b, err)
	}
	outside := t.TempDir()
	r := func() result {
		var o, e bytes.Buffer
		code := inProject(t, outside, strings.NewReader(""), &o, &e, "-f", filepath.Join(dir, "toolbox.toml"), "run", "box-sh", "-c", "true")
		return result{o.String(), e.String(), code}
	}()
	if r.code != 125 || !strings.Contains(r.err, "is outside the project") {
		t.Errorf("outside the project: exit %d, %q", r.code, r.err)
	}
}

func TestRunEnvRules(t *testing.T) {
	c := testenv.Engine(t)
	dir, _ := runProject(t, c, "env = [\"TBXT_PASS\", \"TBXT_GLOB_*\", \"TBXT_FIXED=fixed value\", \"TBXT_UNSET\"]\n")
	t.Setenv("TBXT_PASS", "passed")
	t.Setenv("TBXT_GLOB_A", "a")
	t.Setenv("TBXT_GLOB_B", "b")
	t.Setenv("TBXT_SECRET", "must not pass")
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
	r := tbxIn(t, dir, "--debug", "run", "box-sh", "-c", "env | grep -E '^(TBXT_|HTTPS_PROXY)' | sort")
	if !strings.Contains(r.err, "TBXT_PASS") || strings.Contains(r.err, "passed") || strings.Contains(r.err, "fixed value") {
		t.Errorf("debug output must name variables, never show values: %s", r.err)
	}
	want := "HTTPS_PROXY=http://127.0.0.1:3128\nTBXT_FIXED=fixed value\nTBXT_GLOB_A=a\nTBXT_GLOB_B=b\nTBXT_PASS=passed\n"
	if r.out != want {
		t.Errorf("env in the container:\n%s\nwant:\n%s", r.out, want)
	}
}

func TestRunVolumes(t *testing.T) {
	c := testenv.Engine(t)
	data := t.TempDir()
	writeFiles(t, data, map[string]string{"x": "host data\n"})
	dir, project := runProject(t, c, "volumes = [\""+data+":/data:ro\", \"cache:/cache\"]\n")
	if r := sh(t, dir, "cat /data/x; echo kept > /cache/y; touch /data/z 2>/dev/null || echo read-only"); r.out != "host data\nread-only\n" {
		t.Errorf("first run: %q %q", r.out, r.err)
	}
	if r := sh(t, dir, "cat /cache/y"); r.out != "kept\n" {
		t.Errorf("the named volume did not persist: %q %q", r.out, r.err)
	}
	vols, err := c.VolumeList(t.Context(), volume.ListOptions{Filters: labels.ForProject(project)})
	if err != nil || len(vols.Volumes) != 1 {
		t.Fatalf("the project's volumes: %v %v", vols.Volumes, err)
	}
	v := vols.Volumes[0]
	if !strings.HasPrefix(v.Name, "tbx_"+project+"-") || !strings.HasSuffix(v.Name, "_cache") || v.Labels[labels.Tool] != "box" ||
		v.Labels[labels.Owner] != strconv.Itoa(os.Getuid()) || v.Labels[labels.Root] == "" {
		t.Errorf("volume %s, labels %v", v.Name, v.Labels)
	}
	r := tbxIn(t, dir, "gc", "--volumes")
	if r.code != 0 || strings.Contains(r.out, "volume") {
		t.Errorf("gc removed a volume still in use: %q", r.out)
	}
}

func TestRunLimits(t *testing.T) {
	c := testenv.Engine(t)
	dir, _ := runProject(t, c, "memory = \"64m\"\ncpus = 0.5\npids = 64\n")
	if r := sh(t, dir, "dd if=/dev/zero of=/dev/null bs=256M count=1"); r.code != 137 {
		t.Errorf("allocating past the memory limit: exit %d, want 137 (%s)", r.code, r.err)
	}
	r := sh(t, dir, "cat /sys/fs/cgroup/cpu.max 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us")
	if f := strings.Fields(r.out); len(f) != 2 || f[0] != "50000" || f[1] != "100000" {
		t.Errorf("cpu quota: %q", r.out)
	}
	r = sh(t, dir, "cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max")
	if strings.TrimSpace(r.out) != "64" {
		t.Errorf("pids limit: %q", r.out)
	}
}

func TestRunReadOnly(t *testing.T) {
	c := testenv.Engine(t)
	dir, _ := runProject(t, c, "read_only = true\n")
	if r := sh(t, dir, "touch /opt/x 2>/dev/null || echo ro; touch /tmp/x && echo tmp ok"); r.out != "ro\ntmp ok\n" {
		t.Errorf("read_only: %q %q", r.out, r.err)
	}
}

// docker = true gives the tool the Engine's socket, where a docker CLI
// looks for it, with the socket's group for a caller who is not root.
func TestRunDockerKey(t *testing.T) {
	c := testenv.Engine(t)
	sock, ok := strings.CutPrefix(c.DaemonHost(), "unix://")
	if !ok {
		t.Skipf("the Engine is at %s, not on a unix socket", c.DaemonHost())
	}
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	gid := strconv.Itoa(int(fi.Sys().(*syscall.Stat_t).Gid))
	dir, _ := runProject(t, c, "docker = true\n")
	r := sh(t, dir, `test -S /var/run/docker.sock && echo "$DOCKER_HOST" && id -G`)
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if r.code != 0 || len(lines) != 2 || lines[0] != "unix:///var/run/docker.sock" || !slices.Contains(strings.Fields(lines[1]), gid) {
		t.Errorf("exit %d, out %q, err %q; want the socket, DOCKER_HOST and group %s", r.code, r.out, r.err, gid)
	}
	plain, _ := runProject(t, c, "")
	if r := sh(t, plain, `test -e /var/run/docker.sock`); r.code != 1 {
		t.Errorf("without docker = true the socket is there (exit %d)", r.code)
	}
}

// A command that is nowhere in the image is said alike, in a throwaway
// container, in a warm one through its socket and through the Engine's
// exec: the same line, exit 127.
func TestAMissingCommandIsSaidAlikeOnEveryPath(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := runProject(t, c, "warm = \"1m\"\n")
	said := map[string]string{}
	for path, env := range map[string]string{"throwaway": "TBX_WARM", "socket": "", "exec": "TBX_DIRECT"} {
		if env != "" {
			t.Setenv(env, "0")
		}
		for range 2 { // the second through a running warm container
			r := tbxIn(t, dir, "run", "--tool", "box", "--", "no-such-command")
			if r.code != 127 {
				t.Errorf("%s: exit %d, want 127 (%s)", path, r.code, r.err)
			}
			said[path] = r.err
		}
		if env != "" {
			t.Setenv(env, "")
		}
	}
	if said["socket"] != said["throwaway"] || said["exec"] != said["throwaway"] || !strings.Contains(said["throwaway"], `exec: "no-such-command": executable file not found in $PATH`) {
		t.Errorf("the paths say it differently:\n%q", said)
	}
	testenv.RemoveProject(t, c, project)
}
