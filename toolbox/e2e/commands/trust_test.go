//go:build !windows

package commands

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// untrustedProject writes a recipe by hand, as a cloned repository brings
// one, with trust cleared: no TBX_TRUST and an empty trust store. Its one
// tool runs sh in the Debian base.
func untrustedProject(t *testing.T) (dir, recipe string) {
	t.Helper()
	c := testenv.Engine(t)
	testenv.Debian(t, c)
	t.Setenv("TBX_TRUST", "")
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	project := testenv.Project(t, c)
	dir = filepath.Join(t.TempDir(), "cloned")
	writeFiles(t, dir, map[string]string{
		"toolbox.toml":   "[toolbox]\nname = \"" + project + "\"\n[tools.box]\nbuild = \"img\"\ncommands = [\"sh\"]\n",
		"img/Dockerfile": "FROM " + testenv.DebianBase + "\nLABEL purpose=trust-test\n",
	})
	return dir, filepath.Join(dir, "toolbox.toml")
}

// countedEngine points tbx at the main Engine through a proxy that records
// every API call it receives.
func countedEngine(t *testing.T) *testenv.Calls {
	t.Helper()
	host, calls := testenv.CountingProxy(t, testenv.Engine(t).DaemonHost())
	t.Setenv("DOCKER_HOST", host)
	return calls
}

// refused asserts that tbx exited 125 with one line saying why, and that
// the Engine received no call at all.
func refused(t *testing.T, what string, code int, stderr string, calls *testenv.Calls, want string) {
	t.Helper()
	if code != 125 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, want) || !strings.Contains(stderr, "`tbx trust`") {
		t.Errorf("%s: exit %d, stderr %q; want 125 and one line with %q and `tbx trust`", what, code, stderr, want)
	}
	if got := calls.All(); len(got) != 0 {
		t.Errorf("%s: the Engine received %v before the refusal", what, got)
	}
	calls.Reset()
}

func TestUntrustedRecipeDoesNothing(t *testing.T) {
	dir, rec := untrustedProject(t)
	calls := countedEngine(t)
	notYet := rec + " is not trusted yet"

	r := tbxIn(t, dir, "run", "sh", "-c", "echo ran")
	refused(t, "run", r.code, r.err, calls, notYet)
	r = tbxIn(t, dir, "prepare")
	refused(t, "prepare", r.code, r.err, calls, notYet)
	for _, cmd := range [][]string{{"build"}, {"pull"}, {"push"}, {"lock"}, {"shell", "box"}, {"gc", "--images"}, {"shims", "install", "--dir", t.TempDir()}} {
		r = tbxIn(t, dir, cmd...)
		refused(t, cmd[0], r.code, r.err, calls, notYet)
	}
	code, stderr := shim(t, dir, "sh", "-c", "echo ran")
	refused(t, "a shim", code, stderr, calls, notYet)

	// ls and doctor only read: they work, and say it is untrusted.
	r = tbxIn(t, dir, "ls")
	if r.code != 0 || !strings.Contains(r.err, "not trusted") || !strings.Contains(r.out, "box") {
		t.Errorf("ls: exit %d, stdout %q, stderr %q; want the listing and a note that it is not trusted", r.code, r.out, r.err)
	}
	r = tbxIn(t, dir, "doctor")
	if !strings.Contains(r.out, "FAIL  "+rec+" is not trusted") {
		t.Errorf("doctor does not mark the recipe untrusted:\n%s", r.out)
	}
	calls.Reset()

	mustTbxIn(t, dir, "trust")
	if r = mustTbxIn(t, dir, "run", "sh", "-c", "echo ran"); r.out != "ran\n" {
		t.Errorf("trusted run printed %q", r.out)
	}
	if len(calls.Matching("/containers/create")) != 1 {
		t.Errorf("a trusted run made %d containers: %v", len(calls.Matching("/containers/create")), calls.All())
	}
	privateStateDirs(t, filepath.Join(os.Getenv("XDG_STATE_HOME"), "tbx"))
	calls.Reset()

	// A one-byte edit: untrusted again, and the message says it changed.
	appendByte(t, rec)
	r = tbxIn(t, dir, "run", "sh", "-c", "echo ran")
	refused(t, "run after an edit", r.code, r.err, calls, rec+" changed since you trusted it")
	code, stderr = shim(t, dir, "sh", "-c", "echo ran")
	refused(t, "a shim after an edit", code, stderr, calls, rec+" changed since you trusted it")

	// --trust for one command; TBX_TRUST over a parent directory.
	if r = mustTbxIn(t, dir, "--trust", "run", "sh", "-c", "echo once"); r.out != "once\n" {
		t.Errorf("--trust run printed %q", r.out)
	}
	t.Setenv("TBX_TRUST", "/nonexistent:"+filepath.Dir(dir))
	if code, _ := shim(t, dir, "sh", "-c", "exit 3"); code != 3 {
		t.Errorf("a shim under TBX_TRUST exited %d, want the command's 3", code)
	}
	t.Setenv("TBX_TRUST", "")

	mustTbxIn(t, dir, "trust")
	mustTbxIn(t, dir, "untrust")
	calls.Reset()
	r = tbxIn(t, dir, "run", "sh", "-c", "echo ran")
	refused(t, "run after untrust", r.code, r.err, calls, notYet)
}

// A Dockerfile the recipe builds is part of what is trusted.
func TestTrustCoversDockerfiles(t *testing.T) {
	dir, rec := untrustedProject(t)
	mustTbxIn(t, dir, "trust")
	r := mustTbxIn(t, dir, "trust", "--show")
	if !strings.HasSuffix(r.out, "\ntrusted\n") {
		t.Errorf("trust --show of a trusted recipe ends %q", r.out)
	}
	appendByte(t, filepath.Join(dir, "img", "Dockerfile"))
	r = tbxIn(t, dir, "prepare")
	if r.code != 125 || !strings.Contains(r.err, "the files in "+filepath.Join(filepath.Dir(rec), "img")+" changed since you trusted") {
		t.Errorf("prepare after a Dockerfile edit: exit %d, %q", r.code, r.err)
	}
}

// shim runs what an installed shim runs, `tbx shim COMMAND ARGS...`, as a
// process in dir; it returns the exit code and stderr.
func shim(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(tbxBin, append([]string{"shim"}, args...)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), stderr.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, stderr.String()
}

func appendByte(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("\n"); err != nil {
		t.Fatal(err)
	}
}

// privateStateDirs asserts that every directory tbx made under its state
// directory, and every trust record, is the user's alone.
func privateStateDirs(t *testing.T, state string) {
	t.Helper()
	n := 0
	_ = filepath.Walk(state, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		n++
		private := fi.IsDir() || filepath.Base(filepath.Dir(p)) == "trust"
		if perm := fi.Mode().Perm(); private && perm&0o077 != 0 {
			t.Errorf("%s has mode %o; tbx's state is the user's alone", p, perm)
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
			t.Errorf("%s is owned by %d", p, st.Uid)
		}
		return nil
	})
	if n < 5 {
		t.Errorf("only %d entries under %s: trust, HOME and passwd were expected", n, state)
	}
}
