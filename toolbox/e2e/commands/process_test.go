//go:build !windows

package commands

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/moby/term"

	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// tbxProcess prepares tbx as a child process in dir.
func tbxProcess(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command(tbxBin, args...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	return cmd
}

// waitLine reads r until a line ends with want, or fails after a while.
// It reads no further than that line, so that successive calls on one
// *bufio.Reader see every line once; a plain reader gets a reader of its own.
func waitLine(t *testing.T, r io.Reader, want string) {
	t.Helper()
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	found := make(chan bool, 1)
	go func() {
		for {
			line, err := br.ReadString('\n')
			if strings.HasSuffix(strings.TrimSpace(line), want) {
				found <- true
				return
			}
			if err != nil {
				found <- false
				return
			}
		}
	}()
	select {
	case ok := <-found:
		if !ok {
			t.Fatalf("output ended before %q", want)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("no %q within a minute", want)
	}
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestSignalsReachTheCommand(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := runProject(t, c, "")
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1} {
		t.Run(sig.String(), func(t *testing.T) {
			name := strings.TrimPrefix(strings.ToUpper(signalName(sig)), "SIG")
			script := "trap 'echo got " + name + "; exit 3' " + name + "; echo ready; while :; do sleep 0.1; done"
			cmd := tbxProcess(dir, "run", "box-sh", "-c", script)
			stdout, _ := cmd.StdoutPipe()
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(stdout)
			waitLine(t, br, "ready")
			_ = cmd.Process.Signal(sig)
			rest, _ := io.ReadAll(br)
			code := exitCode(cmd.Wait())
			if strings.TrimSpace(string(rest)) != "got "+name || code != 3 {
				t.Errorf("after %s: output %q, exit %d (stderr %s)", name, rest, code, stderr.String())
			}
			noContainersLeft(t, c, project)
		})
	}
}

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "INT"
	case syscall.SIGTERM:
		return "TERM"
	case syscall.SIGHUP:
		return "HUP"
	case syscall.SIGUSR1:
		return "USR1"
	}
	return strconv.Itoa(int(s))
}

// killedMidRun starts `tbx run` of a command that says it is ready and
// sleeps, and kills tbx with SIGKILL once it is; it returns the dead tbx.
func killedMidRun(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	return killedMidRunOf(t, dir, "echo ready; exec sleep 300")
}

// killedMidRunOf runs script in the box tool from tbx, and kills tbx -9
// once the script has printed "ready".
func killedMidRunOf(t *testing.T, dir, script string) *exec.Cmd {
	t.Helper()
	cmd := tbxProcess(dir, "run", "box-sh", "-c", script)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitLine(t, stdout, "ready")
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	return cmd
}

func TestGCRemovesWhatAKilledLauncherLeft(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := runProject(t, c, "")
	cmd := killedMidRun(t, dir)
	if n := len(testenv.LeftContainers(t, c, labels.Project+"="+project)); n != 1 {
		t.Fatalf("after SIGKILL of tbx, %d containers; want the 1 orphan", n)
	}
	r := tbxIn(t, dir, "gc")
	if r.code != 0 || !strings.Contains(r.out, "removed container") || !strings.Contains(r.out, "launcher (pid "+strconv.Itoa(cmd.Process.Pid)+") is gone") {
		t.Fatalf("gc: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
	noContainersLeft(t, c, project)
}

func TestTTYSizeAndResize(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := runProject(t, c, "")
	checkTTYSizeAndResize(t, tbxProcess(dir, "run", "box-sh", "-c", ttyScript(0)), 0)
	noContainersLeft(t, c, project)
}

// ttyScript says "tty" when it has a terminal, its size, and "ready", then
// at the first resize its new size, and exits with code.
func ttyScript(code int) string {
	return "test -t 0 && test -t 1 && echo tty; stty size; trap 'stty size; exit " + strconv.Itoa(code) + "' WINCH; echo ready; while :; do sleep 0.1; done"
}

// checkTTYSizeAndResize runs cmd, a tbx running ttyScript(code), on a
// terminal of 30x100, resizes it to 40x120, and checks what the script
// says and its exit code.
func checkTTYSizeAndResize(t *testing.T, cmd *exec.Cmd, code int) {
	t.Helper()
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 30, Cols: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	waitLine(t, br, "tty")
	waitLine(t, br, "30 100")
	waitLine(t, br, "ready")
	if err := pty.Setsize(f, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	waitLine(t, br, "40 120")
	if got := exitCode(cmd.Wait()); got != code {
		t.Errorf("exit %d, want %d", got, code)
	}
}

// asUser runs cmd as uid:gid with access to the Engine's socket.
func asUser(t *testing.T, cmd *exec.Cmd, uid, gid int, home string) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("running as another user needs root")
	}
	fi, err := os.Stat("/var/run/docker.sock")
	if err != nil {
		t.Skipf("the Engine is not on the default socket: %v", err)
	}
	sockGID := fi.Sys().(*syscall.Stat_t).Gid
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{sockGID}}}
	cmd.Env = append(os.Environ(), "HOME="+home, "USER=", "LOGNAME=", "XDG_STATE_HOME=")
}

func TestRunAsNonRootCaller(t *testing.T) {
	const uid, gid = 1234567, 7654321 // as large as corporate directories hand out
	if podmanRun {
		t.Skip("the test's Podman serves root alone; TestRootlessPodmanKeepsTheCallerTheOwner runs tbx as a user on a Podman of the user's")
	}
	c := testenv.Engine(t)
	dir, _ := runProject(t, c, "")
	home := filepath.Join(t.TempDir(), "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	testenv.ChownTree(t, dir, uid, gid)
	testenv.ChownTree(t, home, uid, gid)
	run := func(script string) result {
		cmd := tbxProcess(dir, "run", "box-sh", "-c", script)
		asUser(t, cmd, uid, gid, home)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		code := exitCode(cmd.Run())
		return result{out.String(), errb.String(), code}
	}
	want := "u1234567\n/home/u1234567\n1234567:7654321\n"
	if r := run("whoami; echo $HOME; echo $(id -u):$(id -g); echo persisted > $HOME/mark; touch created"); r.code != 0 || r.out != want {
		t.Fatalf("exit %d, stdout %q (want %q), stderr %q", r.code, r.out, want, r.err)
	}
	fi, err := os.Stat(filepath.Join(dir, "created"))
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != uid || st.Gid != gid {
		t.Errorf("a file made in the workspace belongs to %d:%d, want %d:%d", st.Uid, st.Gid, uid, gid)
	}
	if r := run("cat $HOME/mark"); r.out != "persisted\n" {
		t.Errorf("HOME did not persist: %q %q", r.out, r.err)
	}
	state := filepath.Join(home, ".local", "state", "tbx", "home")
	if _, err := os.Stat(state); err != nil {
		t.Errorf("HOME is not kept under the XDG state directory: %v", err)
	}
}

func TestSSHAgentIsForwarded(t *testing.T) {
	if podmanRun {
		t.Skip("the test's Podman has no network to install openssh-client from")
	}
	c := testenv.Engine(t)
	testenv.Debian(t, c)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	project := testenv.Project(t, c)
	runProjects = append(runProjects, project)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"toolbox.toml":   "[toolbox]\nname = \"" + project + "\"\n[tools.ssh]\nbuild = \"img\"\ncommands = [\"ssh-add\"]\nssh_agent = true\n",
		"img/Dockerfile": "FROM " + testenv.DebianBase + "\nRUN apt-get update && apt-get install -y --no-install-recommends openssh-client && rm -rf /var/lib/apt/lists/*\n",
	})
	sock, _ := testenv.SSHAgent(t, nil)
	t.Setenv("SSH_AUTH_SOCK", sock)
	r := tbxIn(t, dir, "--progress", "plain", "run", "ssh-add", "-l")
	if r.code != 0 || !strings.Contains(r.out, "tbx-test-key") {
		t.Fatalf("ssh-add -l in the container: exit %d, stdout %q, stderr %q", r.code, r.out, lastLine(r.err))
	}
	t.Setenv("SSH_AUTH_SOCK", "")
	// Without an agent the tool still runs (ansible --version needs none),
	// with a warning; ssh-add says it has no agent and exits 2.
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	if r := tbxIn(t, dir, "run", "ssh-add", "-l"); r.code != 2 || !strings.Contains(r.err, "SSH_AUTH_SOCK is not set") {
		t.Errorf("without an agent: exit %d, %q", r.code, r.err)
	}
	// Said once per shell; TBX_QUIET=ssh-agent silences it.
	if r := tbxIn(t, dir, "run", "ssh-add", "-l"); r.code != 2 || strings.Contains(r.err, "SSH_AUTH_SOCK is not set") {
		t.Errorf("a second run in the same shell warned again: exit %d, %q", r.code, r.err)
	}
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("TBX_QUIET", "ssh-agent")
	if r := tbxIn(t, dir, "run", "ssh-add", "-l"); r.code != 2 || strings.Contains(r.err, "SSH_AUTH_SOCK is not set") {
		t.Errorf("TBX_QUIET=ssh-agent: exit %d, %q", r.code, r.err)
	}
}

// Under a terminal, Ctrl-C is a key for the command's TTY: the command's
// trap sees SIGINT, its exit code comes back, the caller's terminal is
// restored, and no container is left. Closing the terminal ends it too.
func TestTTYCtrlCRestoreAndHangup(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := runProject(t, c, "")
	script := "trap 'echo caught INT; exit 4' INT; echo ready; while :; do sleep 0.1; done"

	cmd := tbxProcess(dir, "run", "box-sh", "-c", script)
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		t.Fatal(err)
	}
	before, err := term.SaveState(f.Fd())
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(f)
	waitLine(t, br, "ready")
	if _, err := f.Write([]byte{3}); err != nil {
		t.Fatal(err)
	}
	waitLine(t, br, "caught INT") // after the TTY's echo of ^C
	if code := exitCode(cmd.Wait()); code != 4 {
		t.Errorf("after Ctrl-C: exit %d, want the command's 4", code)
	}
	after, _ := term.SaveState(f.Fd())
	if *after != *before {
		t.Errorf("the terminal was not restored:\nbefore %+v\nafter  %+v", before, after)
	}
	f.Close()
	noContainersLeft(t, c, project)

	cmd = tbxProcess(dir, "run", "box-sh", "-c", "echo ready; while :; do sleep 0.1; done")
	f, err = pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	waitLine(t, bufio.NewReader(f), "ready")
	f.Close() // the terminal goes away: SIGHUP
	done := make(chan int, 1)
	go func() { done <- exitCode(cmd.Wait()) }()
	select {
	case code := <-done:
		if code != 128+int(syscall.SIGHUP) {
			t.Errorf("after hangup: exit %d, want %d", code, 128+int(syscall.SIGHUP))
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("tbx did not end when its terminal closed")
	}
	noContainersLeft(t, c, project)
}

// Ctrl-C during a build stops it: tbx exits as killed by SIGINT (130) and
// the builder's container is gone.
func TestInterruptedBuildLeavesNothing(t *testing.T) {
	c := testenv.Engine(t)
	testenv.Debian(t, c)
	project := testenv.Project(t, c)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"toolbox.toml": "[toolbox]\nname = \"" + project + "\"\n[tools.slow]\nbuild = \"img\"\n",
		// The project's name keeps the step out of any earlier run's cache.
		"img/Dockerfile": "FROM " + testenv.DebianBase + "\nRUN echo " + project + " building-now; sleep 120\n",
	})
	before := len(allContainers(t, c))
	cmd := tbxProcess(dir, "--progress", "plain", "prepare")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Should the test fail first, the build must not finish after cleanup.
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	waitLine(t, stderr, " building-now") // BuildKit's plain line: "tbx: slow: #5 0.21 building-now"
	_ = cmd.Process.Signal(syscall.SIGINT)
	go func() { _, _ = io.Copy(io.Discard, stderr) }()
	if code := exitCode(cmd.Wait()); code != 130 {
		t.Errorf("exit %d, want 130", code)
	}
	for i := 0; i < 100 && len(allContainers(t, c)) != before; i++ {
		time.Sleep(100 * time.Millisecond) // the builder cleans up as it notices
	}
	if n := len(allContainers(t, c)); n != before {
		t.Errorf("%d containers after the interrupted build, %d before", n, before)
	}
}

func allContainers(t *testing.T, c *client.Client) []container.Summary {
	t.Helper()
	cs, err := c.ContainerList(context.Background(), container.ListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}
