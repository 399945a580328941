//go:build linux

package commands

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// frontAlone copies the front, without tbx-core, where it runs alone: a
// call it serves cannot have reached the Engine (only the core speaks to
// it), and a call it does not serve fails for want of the core.
func frontAlone(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(tbxBin)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tbx")
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// frontRun runs the lone front in dir with env added, and returns what it
// printed, and whether it served the call (rather than asking for the core).
func frontRun(t *testing.T, front, dir string, env []string, args ...string) (out string, served bool) {
	t.Helper()
	cmd := exec.Command(front, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	b, _ := cmd.CombinedOutput()
	return string(b), !strings.Contains(string(b), "tbx-core is missing")
}

// A warm call whose route is fresh starts from the front alone, with no
// core and so no Engine call, exactly as the core runs it; any change that
// could change what it does sends it the whole way again.
func TestFrontServesFreshRoutesAlone(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := runProject(t, c, "warm = \"1m\"\nenv = [\"TBXT_*\"]\n")
	front := frontAlone(t)
	script := "echo $TBXT_V; pwd; exit 7"
	if out, served := frontRun(t, front, dir, nil, "run", "box-sh", "-c", script); served {
		t.Fatalf("the front served a call with no route yet: %q", out)
	}
	full := tbxProcess(dir, "run", "box-sh", "-c", script)
	full.Env = append(full.Env, "TBXT_V=one")
	if out, err := full.Output(); exitCode(err) != 7 || string(out) != "one\n"+dir+"\n" {
		t.Fatalf("the whole way: exit %d, %q", exitCode(err), out)
	}
	out, served := frontRun(t, front, dir, []string{"TBXT_V=one", "UNRELATED=" + time.Now().String()}, "run", "box-sh", "-c", script)
	if !served || out != "one\n"+dir+"\n" {
		t.Fatalf("the front alone: served %v, %q", served, out)
	}
	cmd := exec.Command(front, "shim", "box-sh", "-c", "exit 42")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TBXT_V=one")
	if err := cmd.Run(); exitCode(err) != 42 {
		t.Errorf("a shim call from the front: exit %d (%v), want 42", exitCode(err), err)
	}
	// An installed shim is a link to tbx named for the command: the front
	// alone serves it, and no shell starts on the way.
	link := filepath.Join(t.TempDir(), "box-sh")
	if err := os.Symlink(front, link); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(link, "-c", "exit 43")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TBXT_V=one")
	if out, err := cmd.CombinedOutput(); exitCode(err) != 43 {
		t.Errorf("a call through a shim link: exit %d (%v) %q, want 43 from the front alone", exitCode(err), err, out)
	}
	for _, tc := range []struct {
		name   string
		change func() []string
	}{
		{"a rule's variable", func() []string { return []string{"TBXT_V=two"} }},
		{"tbx's variable", func() []string { return []string{"TBXT_V=one", "TBX_QUIET=x"} }},
		{"a touched recipe", func() []string {
			later := time.Now().Add(time.Minute)
			_ = os.Chtimes(filepath.Join(dir, "toolbox.toml"), later, later)
			return []string{"TBXT_V=one"}
		}},
	} {
		if out, served := frontRun(t, front, dir, tc.change(), "run", "box-sh", "-c", script); served {
			t.Errorf("after a change of %s, the front served the call: %q", tc.name, out)
		}
	}
	// A core command that may change what a run does forgets every route.
	full = tbxProcess(dir, "run", "box-sh", "-c", "true")
	full.Env = append(full.Env, "TBXT_V=one")
	if err := full.Run(); err != nil {
		t.Fatal(err)
	}
	if _, served := frontRun(t, front, dir, []string{"TBXT_V=one"}, "run", "box-sh", "-c", "true"); !served {
		t.Fatal("the route was not written again")
	}
	sock := socketDir(t)
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(sock, past, past); err != nil {
		t.Fatal(err)
	}
	mustTbxIn(t, dir, "gc", "--warm")
	if out, served := frontRun(t, front, dir, []string{"TBXT_V=one"}, "run", "box-sh", "-c", "true"); served {
		t.Errorf("after gc --warm, the front served the call: %q", out)
	}
	if _, err := os.Stat(sock); err == nil {
		t.Errorf("gc --warm left the socket directory of the container it removed: %s", sock)
	}
	noContainersLeft(t, c, project)
}

// On a terminal, the front alone gives the command a terminal of the
// container's, sized as the caller's and resized with it.
func TestFrontServesATerminal(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := runProject(t, c, "warm = \"1m\"\n")
	first := tbxProcess(dir, "run", "box-sh", "-c", "true")
	f, err := pty.StartWithSize(first, &pty.Winsize{Rows: 30, Cols: 100})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, f) }()
	if code := exitCode(first.Wait()); code != 0 {
		t.Fatalf("the first run, the whole way: exit %d", code)
	}
	f.Close()
	cmd := exec.Command(frontAlone(t), "run", "box-sh", "-c", ttyScript(3))
	cmd.Dir, cmd.Env = dir, os.Environ()
	checkTTYSizeAndResize(t, cmd, 3)
	noContainersLeft(t, c, project)
}

// A front and a core of different builds say so in one line naming both,
// and do nothing; a front without its core says how to install tbx whole.
func TestFrontAndCoreOfDifferentBuilds(t *testing.T) {
	needBinaries(t)
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "tbx"), "-ldflags", "-X github.com/tbx-dev/tbx/toolbox/internal/version.Version=v0.0.1-other", "../../../cmd/tbx")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building another front: %v\n%s", err, out)
	}
	alone := exec.Command(filepath.Join(dir, "tbx"), "ls")
	out, err := alone.CombinedOutput()
	if exitCode(err) != 125 || !strings.Contains(string(out), "tbx-core is missing next to") || !strings.Contains(string(out), "install tbx whole") {
		t.Errorf("a front alone: exit %d, %q", exitCode(err), out)
	}
	core, err := os.ReadFile(filepath.Join(filepath.Dir(tbxBin), "tbx-core"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tbx-core"), core, 0o755); err != nil {
		t.Fatal(err)
	}
	mixed := exec.Command(filepath.Join(dir, "tbx"), "ls")
	mixed.Dir = t.TempDir()
	out, err = mixed.CombinedOutput()
	if exitCode(err) != 125 || strings.Count(string(out), "\n") != 1 || !strings.Contains(string(out), "are of different builds") ||
		!strings.Contains(string(out), filepath.Join(dir, "tbx")) || !strings.Contains(string(out), "v0.0.1-other") {
		t.Errorf("a front and a core of different builds: exit %d, %q", exitCode(err), out)
	}
	// The front and the core built together agree.
	same := exec.Command(tbxBin, "version")
	if out, err := same.CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "tbx ") {
		t.Errorf("tbx version through the front: %v %q", err, out)
	}
}
