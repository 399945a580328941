//go:build linux

package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// Files the user names outside the project reach a tool whose recipe
// allows it, as they reach a local binary: an argument's path and what a
// path variable names, mounted where named, read-only, for that run only,
// also when a warm container serves the tool's other calls (the front
// leaves such a call to the core). An output outside the project is
// refused in one line unless the recipe lets the tool write; then it is
// written on the host.
func TestHostPathsTheUserNames(t *testing.T) {
	c := testenv.Engine(t)
	t.Setenv("TBX_SPARE", "off")
	dir, _ := runProject(t, c, "warm = \"5m\"\nhost_paths = \"args\"\npath_env = [\"TBXT_KC\"]\n")
	outside := t.TempDir()
	writeFiles(t, outside, map[string]string{"deploy/cm.yaml": "cm\n", "kc": "kc\n"})
	cm, kc := filepath.Join(outside, "deploy", "cm.yaml"), filepath.Join(outside, "kc")
	env := append(os.Environ(), "TBXT_KC="+kc)
	run := func(args ...string) outcome {
		return callIn(t, tbxBin, dir, env, 0, append([]string{"run", "box-sh", "-c"}, args...)...)
	}

	if r := run("echo warm"); r.code != 0 || r.out != "warm\n" {
		t.Fatalf("a warm call naming no path: %+v", r)
	}
	front := frontAlone(t)
	if _, served := frontRun(t, front, dir, []string{"TBXT_KC=" + kc}, "run", "box-sh", "-c", "echo warm"); !served {
		t.Fatal("the front alone does not serve the warm call from its route: the checks below prove nothing")
	}
	if out, served := frontRun(t, front, dir, []string{"TBXT_KC=" + kc}, "run", "box-sh", "-c", `cat "$1"`, "_", cm); served {
		t.Errorf("the front served, from a container without its mount, a call naming a host path: %s", out)
	}
	for range 2 { // the second from the front's route, which must leave it to the core
		if r := run(`cat "$1" "$TBXT_KC"`, "_", cm); r.code != 0 || r.out != "cm\nkc\n" {
			t.Errorf("a file named by an argument and by a path variable: %+v", r)
		}
	}
	if r := run(`cat "${1#--from=}"`, "_", "--from="+kc); r.code != 0 || r.out != "kc\n" {
		t.Errorf("a path as a flag's value: %+v", r)
	}
	if r := run(`echo x >> "$1"`, "_", cm); r.code == 0 {
		t.Errorf("the tool wrote a file it may only read: %+v", r)
	}
	out := filepath.Join(outside, "out.json")
	r := run(`echo written > "$1"`, "_", out)
	if want := "tool box: argument " + out + " names " + out + ", outside the project, which does not exist"; r.code != 125 || !strings.Contains(r.err, want) || !strings.Contains(r.err, `host_paths = "args:rw"`) {
		t.Errorf("an output outside the project, read-only: want 125 and %q:\n%+v", want, r)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("the refused output was written")
	}

	recipe, err := os.ReadFile(filepath.Join(dir, "toolbox.toml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{"toolbox.toml": strings.Replace(string(recipe), `host_paths = "args"`, `host_paths = "args:rw"`, 1)})
	if r := run(`echo written > "$1"`, "_", out); r.code != 0 {
		t.Errorf("an output outside the project, read-write: %+v", r)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != "written\n" {
		t.Errorf("the output on the host: %q, %v", b, err)
	}
}

// A tool whose recipe gives it no host paths mounts none, and says in one
// line which argument it does not see; one that does says under --debug
// why its call runs in a container of its own.
func TestHostPathsNotGivenAreSaid(t *testing.T) {
	c := testenv.Engine(t)
	t.Setenv("TBX_SPARE", "off")
	outside := t.TempDir()
	writeFiles(t, outside, map[string]string{"x.yaml": "x\n"})
	x := filepath.Join(outside, "x.yaml")
	dir, _ := runProject(t, c, "")
	r := tbxIn(t, dir, "run", "box-sh", "-c", `cat "$1"`, "_", x)
	if want := "tbx: warning: tool box: argument " + x + ": outside the project, where the tool does not see it"; r.code == 0 || strings.Count(r.err, want) != 1 {
		t.Errorf("an argument outside the project, not given: want the run to fail as it does and one line %q:\n%+v", want, r)
	}
	writeFiles(t, dir, map[string]string{"toolbox.toml": strings.Replace(mustRead(t, filepath.Join(dir, "toolbox.toml")), "[tools.box]\n", "[tools.box]\nhost_paths = \"args\"\n", 1)})
	r = tbxIn(t, dir, "--debug", "run", "box-sh", "-c", `cat "$1"`, "_", x)
	if r.code != 0 || r.out != "x\n" || !strings.Contains(r.err, "argument "+x+": "+x+" is mounted at "+x+" for this run") || !strings.Contains(r.err, "it runs in a container of its own") {
		t.Errorf("given: %+v", r)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
