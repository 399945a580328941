//go:build linux

package commands

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"golang.org/x/sys/unix"

	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// The attacks the warm path must withstand as the Engine path does: each
// test plays one as a tool of the project, or anyone who can write it,
// would.

// sealedProject is a project with the box tool of runProject, made to run
// as user (root, or the image's nobody), with extra keys, and a second
// tool, nobody, that runs as uid 65534 and is warm: the attacker inside.
func sealedProject(t *testing.T, c *client.Client, user, extra string) (dir, project string) {
	t.Helper()
	dir, project = runProject(t, c, "")
	writeFiles(t, dir, map[string]string{
		"toolbox.toml": "[toolbox]\nname = \"" + project + "\"\n" +
			"[tools.box]\nbuild = \"img\"\ncommands = [\"box-sh\"]\nuser = \"" + user + "\"\n" + extra +
			"[tools.nobody]\nbuild = \"nobody\"\ncommands = [\"nobody-sh\"]\nuser = \"image\"\nwarm = \"5m\"\n",
		"img/Dockerfile":    "FROM " + testenv.DebianBase + "\nRUN ln -s /bin/sh /usr/local/bin/box-sh\nUSER 65534\n",
		"nobody/Dockerfile": "FROM " + testenv.DebianBase + "\nRUN ln -s /bin/sh /usr/local/bin/nobody-sh\nUSER 65534\n",
	})
	mustTbx(t, "-f", filepath.Join(dir, "toolbox.toml"), "--progress", "plain", "prepare")
	return dir, project
}

// swapper exchanges a and b (a directory and a symbolic link) with
// renameat2 every millisecond until stop is called.
func swapper(t *testing.T, a, b string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			_ = unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
			time.Sleep(time.Millisecond)
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		if fi, err := os.Lstat(a); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			_ = unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
		}
	}
}

// tally runs script in the box tool n times and counts what each run saw:
// the checked directory (served), a refusal (125), or the host's secret,
// which must never be seen.
type tally struct{ served, refused, host int }

func runsSee(t *testing.T, dir string, n int, env ...string) tally {
	t.Helper()
	var got tally
	for i := 0; i < n; i++ {
		cmd := tbxProcess(dir, "run", "box-sh", "-c", "ls /data")
		cmd.Env = append(cmd.Env, env...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		_ = cmd.Run()
		code := cmd.ProcessState.ExitCode()
		switch {
		case strings.Contains(out.String(), "host-secret"):
			got.host++
		case code == 0 && strings.Contains(out.String(), "inside"):
			got.served++
		case code == 125 && strings.Count(strings.TrimSpace(errb.String()), "\n") == 0:
			got.refused++
		default:
			t.Errorf("run %d: exit %d, out %q, err %q", i, code, out.String(), errb.String())
		}
	}
	return got
}

// A volume whose source is swapped for a symbolic link to a host
// directory while runs start, from the host and from inside a warm
// container of the project, never mounts that directory: the run sees the
// directory tbx checked, or is refused in one line (exit 125).
func TestMountedIsWhatWasChecked(t *testing.T) { mountedIsWhatWasChecked(t) }

func mountedIsWhatWasChecked(t *testing.T) {
	c := testenv.Engine(t)
	secret := t.TempDir()
	writeFiles(t, secret, map[string]string{"host-secret": "x"})
	dir, _ := sealedProject(t, c, "root", "")
	swap := filepath.Join(dir, "swap")
	writeFiles(t, swap, map[string]string{"data/inside": "x"})
	if err := errors.Join(os.Chmod(swap, 0o777), os.Symlink(secret, filepath.Join(swap, "data.link"))); err != nil {
		t.Fatal(err)
	}
	recipe := filepath.Join(dir, "toolbox.toml")
	b, _ := os.ReadFile(recipe)
	text := strings.Replace(string(b), "user = \"root\"\n", "user = \"root\"\nvolumes = [\""+filepath.Join(swap, "data")+":/data\"]\n", 1)
	if err := os.WriteFile(recipe, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runsSee(t, dir, 1); r.served != 1 {
		t.Fatalf("with nothing swapped: %+v", r)
	}

	stop := swapper(t, filepath.Join(swap, "data"), filepath.Join(swap, "data.link"))
	throwaway := runsSee(t, dir, 40)
	warm := runsSee(t, dir, 40, "TBX_WARM=5m")
	stop()
	t.Logf("swapped from the host: throwaway %+v, warm %+v", throwaway, warm)
	if throwaway.host+warm.host != 0 {
		t.Errorf("runs saw the host's directory: throwaway %d, warm %d", throwaway.host, warm.host)
	}

	// The same from inside: a process of the project's other warm tool,
	// as uid 65534, swaps the directory it can write.
	mustTbxIn(t, dir, "gc", "--warm")
	inside := exec.Command(tbxBin, "run", "nobody-sh", "-c", `exec perl -e 'my ($a, $b) = ("data", "data.link"); while (1) { syscall(`+renameat2()+`, -100, $a, -100, $b, 2); select(undef, undef, undef, 0.001) }'`)
	inside.Dir = swap
	inside.Env = os.Environ()
	if err := inside.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	fromInside := runsSee(t, dir, 40, "TBX_WARM=5m")
	_ = inside.Process.Signal(unix.SIGTERM)
	_ = inside.Wait()
	t.Logf("swapped from a warm container: %+v", fromInside)
	if fromInside.host != 0 {
		t.Errorf("%d runs saw the host's directory", fromInside.host)
	}
	if fromInside.served+fromInside.refused+throwaway.served+warm.served == 0 {
		t.Error("no run was served or refused at all")
	}
}

// renameat2 is the system call's number, for perl's syscall.
func renameat2() string {
	if runtime.GOARCH == "arm64" {
		return "276"
	}
	return "316"
}

// warmOf is the project's warm container of tool.
func warmOf(t *testing.T, c *client.Client, project, tool string) container.Summary {
	t.Helper()
	for _, ct := range warmContainers(t, c, project) {
		if ct.Labels["dev.tbx.tool"] == tool {
			return ct
		}
	}
	t.Fatalf("no warm container of tool %s", tool)
	return container.Summary{}
}

// No command reaches its helper's socket: not as the container's user,
// whom root's own directory keeps out; and a root command that takes the
// socket's place gets nothing: tbx checks who serves it first, and refuses
// the run in one line.
func TestOnlyTheHelperServesItsSocket(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := sealedProject(t, c, "root", "warm = \"5m\"\n")
	r := tbxIn(t, dir, "run", "nobody-sh", "-c", "ls /run/tbx-warm/sealed; ls /run/tbx-warm/sealed/direct; touch /run/tbx-warm/sealed/direct/x; cat /proc/1/environ; echo end")
	if r.code != 0 || !strings.Contains(r.err, "Permission denied") || strings.Contains(r.out, "sock") || !strings.HasSuffix(r.out, "end\n") {
		t.Errorf("the container's user reached the socket's directory: exit %d, out %q, err %q", r.code, r.out, r.err)
	}
	// A root command puts its own listener in the socket's place, after a
	// run that left the front a route.
	if r := callIn(t, tbxBin, dir, os.Environ(), 0, "run", "box-sh", "-c", "true"); r.code != 0 {
		t.Fatalf("the first run: %+v", r)
	}
	fake := `rm -f /run/tbx-warm/sealed/direct/sock; exec perl -MIO::Socket::UNIX -e '
		my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => "/run/tbx-warm/sealed/direct/sock", Listen => 5) or die "listen: $!";
		chmod 0777, "/run/tbx-warm/sealed/direct/sock";
		print "listening\n"; $| = 1;
		while (my $c = $s->accept) { my $n = sysread($c, my $buf, 65536); open(my $f, ">>", "got"); print $f "connection, $n bytes\n"; close $f; }'`
	impostor := tbxProcess(dir, "run", "box-sh", "-c", fake)
	stdout, _ := impostor.StdoutPipe()
	if err := impostor.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = impostor.Process.Kill(); _ = impostor.Wait() }()
	waitLine(t, stdout, "listening")
	// The runs go through tbx's binaries, as the impostor's did: in-process
	// runs mount another helper, and so get a warm container of their own.
	core := filepath.Join(filepath.Dir(tbxBin), "tbx-core")
	for i := 0; i < 3; i++ {
		for _, bin := range []string{tbxBin, core} {
			r := callIn(t, bin, dir, os.Environ(), 0, "run", "box-sh", "-c", "touch ran-"+filepath.Base(bin))
			if r.code != 125 || !strings.Contains(r.err, "not by the container's helper") {
				t.Errorf("%s with an impostor on the socket: exit %d, err %q", filepath.Base(bin), r.code, r.err)
			}
		}
	}
	if got, _ := filepath.Glob(filepath.Join(dir, "ran-*")); len(got) != 0 {
		t.Errorf("runs ran: %v", got)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "got")); strings.Contains(string(b), "bytes") && !onlyEmpty(string(b)) {
		t.Errorf("the impostor was sent a request: %q", b)
	}
	_ = warmOf(t, c, project, "box")
}

// onlyEmpty reports whether every connection the impostor logged brought
// nothing.
func onlyEmpty(log string) bool {
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		if line != "" && line != "connection, 0 bytes" {
			return false
		}
	}
	return true
}

// A command whose stdin is the caller's terminal (its output a pipe, so no
// terminal is allocated) gets a pipe of tbx's, never the terminal itself;
// what it leaves reading in the background is gone with it, and nothing
// typed after tbx exits reaches the container.
func TestNoHostDescriptorEntersTheContainer(t *testing.T) {
	c := testenv.Engine(t)
	dir, _ := runProject(t, c, "warm = \"5m\"\n")
	out := filepath.Join(t.TempDir(), "out")
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	defer tty.Close()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, path := range []string{"direct", "exec"} {
		cmd := tbxProcess(dir, "run", "box-sh", "-c", "readlink /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2; (while read l; do echo \"$l\" >> typed; done) & echo started")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, f, f
		if path == "exec" {
			cmd.Env = append(cmd.Env, "TBX_DIRECT=0")
		}
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if _, err := ptmx.Write([]byte("secret typed after tbx exited\n")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		b, _ := os.ReadFile(out)
		if strings.Contains(string(b), "/dev/pts") || strings.Contains(string(b), out) || strings.Count(string(b), "pipe:") < 3 {
			t.Errorf("%s: the command's descriptors: %q; want pipes only", path, b)
		}
		if typed, err := os.ReadFile(filepath.Join(dir, "typed")); err == nil {
			t.Errorf("%s: a leftover read what was typed after tbx exited: %q", path, typed)
		}
		_ = f.Truncate(0)
		_, _ = f.Seek(0, 0)
		drain(ptmx)
	}
}

// drain reads what is waiting on the terminal's master.
func drain(f *os.File) {
	_ = f.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	_, _ = f.Read(make([]byte, 4096))
	_ = f.SetReadDeadline(time.Time{})
}

// A warm command leaves nothing behind, as a throwaway container's removal
// leaves nothing: processes it put in the background, in a session of
// their own, or double-forked away are ended when it ends, on either path.
func TestWarmCommandLeavesNothingBehind(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := runProject(t, c, "warm = \"5m\"\n")
	for _, path := range []string{"direct", "exec"} {
		t.Run(path, func(t *testing.T) {
			if path == "exec" {
				t.Setenv("TBX_DIRECT", "0")
			}
			r := sh(t, dir, "setsid sleep 301 & (sleep 302 &) ; sh -c 'sleep 303 &' ; nohup sleep 304 >/dev/null 2>&1 & echo left")
			if r.code != 0 || r.out != "left\n" {
				t.Fatalf("exit %d, out %q, err %q", r.code, r.out, r.err)
			}
			if cmds := commandsIn(t, c, warmOf(t, c, project, "box").ID); len(cmds) != 0 {
				t.Errorf("left behind in the warm container: %v", cmds)
			}
		})
	}
}

// docker stop, and gc of a warm container whose launcher is gone, give a
// running command SIGTERM and time to end, as a throwaway container's
// stop does: its trap runs.
func TestStoppingAWarmContainerGivesTERM(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := runProject(t, c, "warm = \"5m\"\n")
	for _, path := range []string{"direct", "exec"} {
		t.Run(path, func(t *testing.T) {
			cmd := tbxProcess(dir, "run", "box-sh", "-c", "trap 'echo term > got-term-"+path+"; exit 143' TERM; echo ready; while :; do sleep 0.1; done")
			if path == "exec" {
				cmd.Env = append(cmd.Env, "TBX_DIRECT=0")
			}
			stdout, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitLine(t, stdout, "ready")
			timeout := 10
			if err := c.ContainerStop(context.Background(), warmOf(t, c, project, "box").ID, container.StopOptions{Timeout: &timeout}); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			if b, err := os.ReadFile(filepath.Join(dir, "got-term-"+path)); err != nil || string(b) != "term\n" {
				t.Errorf("the command's TERM trap did not run: %q %v", b, err)
			}
			if code := cmd.ProcessState.ExitCode(); code != 143 {
				t.Errorf("tbx exited %d; want the command's 143", code)
			}
		})
	}
}

// A working directory that is not in the warm container is said to be
// missing (126), not taken for a missing command.
func TestWarmMissingWorkdirIsSaid(t *testing.T) {
	c := testenv.Engine(t)
	dir, _ := runProject(t, c, "warm = \"5m\"\nworkdir = \"/not/there\"\n")
	for _, path := range []string{"direct", "exec"} {
		if path == "exec" {
			t.Setenv("TBX_DIRECT", "0")
		}
		r := sh(t, dir, "true")
		if r.code != 126 || !strings.Contains(r.err, "working directory /not/there") {
			t.Errorf("%s: exit %d, err %q; want 126 naming the working directory", path, r.code, r.err)
		}
	}
}
