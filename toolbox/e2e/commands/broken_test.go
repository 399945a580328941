//go:build !windows

package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// One tool whose Dockerfile does not parse costs itself only: the recipe
// is trusted, the other tool builds and runs, ls shows the table with the
// broken tool as broken, and building it says which file and line, in one
// line, exit 125.
func TestABrokenDockerfileCostsItsToolOnly(t *testing.T) {
	c := testenv.Engine(t)
	testenv.Debian(t, c)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("TBX_TRUST", "") // trusted by its record, as a user's project is
	project := testenv.Project(t, c)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"toolbox.toml":    "[toolbox]\nname = \"" + project + "\"\n[tools.good]\nbuild = \"good\"\ncommands = [\"good-sh\"]\n[tools.bad]\nbuild = \"bad\"\n",
		"good/Dockerfile": "FROM " + testenv.DebianBase + "\nRUN ln -s /bin/sh /usr/local/bin/good-sh\n",
		"bad/Dockerfile":  "FROM " + testenv.DebianBase + "\nRUNN echo b\n",
		// A -labs frontend's grammar is its own: not broken, built by it.
		"labs/Dockerfile": "# syntax=docker/dockerfile:1-labs\nFROM " + testenv.DebianBase + "\nCOPY --parents Dockerfile /x/\n",
	})
	appendTo(t, filepath.Join(dir, "toolbox.toml"), "[tools.labs]\nbuild = \"labs\"\n")
	mustTbxIn(t, dir, "trust")
	r := mustTbxIn(t, dir, "ls")
	if !strings.Contains(r.out, "broken") || !strings.Contains(r.out, "good") || strings.Contains(r.out, "labs  broken") {
		t.Errorf("ls: want the table, with bad broken and labs not:\n%s", r.out)
	}
	if !strings.Contains(r.out, "tool labs: its Dockerfile is in the grammar of the frontend docker/dockerfile:1-labs") ||
		!strings.Contains(r.out, "tool bad: its Dockerfile does not parse: "+filepath.Join(dir, "bad", "Dockerfile")+":2:") {
		t.Errorf("ls does not say why bad is broken, or what labs's grammar means:\n%s", r.out)
	}
	mustTbxIn(t, dir, "build", "good")
	if r := tbxIn(t, dir, "run", "good-sh", "-c", "echo ran"); r.code != 0 || r.out != "ran\n" {
		t.Errorf("a run of the good tool: %+v", r)
	}
	want := "tool bad: its Dockerfile does not parse: " + filepath.Join(dir, "bad", "Dockerfile") + ":2: unknown instruction: RUNN (did you mean RUN?)"
	for _, args := range [][]string{{"build", "bad"}, {"prepare", "good", "bad"}} {
		r := tbxIn(t, dir, args...)
		if r.code != 125 || !strings.Contains(r.err, want) || strings.Count(strings.TrimSpace(r.err), "\n") > 0 && args[0] == "build" {
			t.Errorf("tbx %s: want exit 125 and %q:\n%+v", strings.Join(args, " "), want, r)
		}
	}
	if r := tbxIn(t, dir, "doctor"); r.code != 1 || !strings.Contains(r.out+r.err, "tool bad: its Dockerfile does not parse") || !strings.Contains(r.out+r.err, "tool good: ready") {
		t.Errorf("doctor: %+v", r)
	}
}

// A tool added to the recipe before its files (a context that is not
// there, a context without its Dockerfile), or whose files cannot be read
// as a build's (a Dockerfile that leads outside its context, an ignore
// file with a bad pattern), costs itself only, as a Dockerfile that does
// not parse does; its files' coming is a change that trust names.
func TestAToolWhoseFilesAreNotThereCostsItselfOnly(t *testing.T) {
	c := testenv.Engine(t)
	testenv.Debian(t, c)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("TBX_TRUST", "")
	project := testenv.Project(t, c)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"toolbox.toml": "[toolbox]\nname = \"" + project + "\"\n[tools.good]\nbuild = \"good\"\ncommands = [\"good-sh\"]\n[tools.new]\nbuild = \"new\"\n[tools.half]\nbuild = \"half\"\n" +
			"[tools.odd]\nbuild = \"odd\"\n[tools.picky]\nbuild = \"picky\"\n",
		"good/Dockerfile":     "FROM " + testenv.DebianBase + "\nRUN ln -s /bin/sh /usr/local/bin/good-sh\n",
		"half/setup.sh":       "echo half\n",
		"elsewhere":           "FROM " + testenv.DebianBase + "\n",
		"picky/Dockerfile":    "FROM " + testenv.DebianBase + "\n",
		"picky/.dockerignore": "*.tmp\n[z\n",
	})
	if err := os.Mkdir(filepath.Join(dir, "odd"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), filepath.Join(dir, "odd", "Dockerfile")); err != nil {
		t.Fatal(err)
	}
	mustTbxIn(t, dir, "trust")
	r := mustTbxIn(t, dir, "ls")
	for _, want := range []string{
		"tool new: its build context " + filepath.Join(dir, "new") + " is not a directory",
		"tool half: there is no Dockerfile at " + filepath.Join(dir, "half", "Dockerfile"),
		"tool odd: reading the Dockerfile " + filepath.Join(dir, "odd", "Dockerfile") + ": outside " + filepath.Join(dir, "odd"),
		"tool picky: its build context cannot be read: " + filepath.Join(dir, "picky", ".dockerignore") + `:2: "[z": syntax error in pattern`,
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("ls does not say %q:\n%s", want, r.out)
		}
	}
	if r := tbxIn(t, dir, "run", "good-sh", "-c", "echo ran"); r.code != 0 || r.out != "ran\n" {
		t.Errorf("a run of the good tool: %+v", r)
	}
	want := "tool new: its build context " + filepath.Join(dir, "new") + " is not a directory; fix it (the recipe's other tools build and run meanwhile)"
	if r := tbxIn(t, dir, "build", "new"); r.code != 125 || strings.TrimSpace(r.err) != "tbx: "+want {
		t.Errorf("tbx build new: want exit 125 and %q:\n%+v", want, r)
	}
	writeFiles(t, dir, map[string]string{"half/Dockerfile": "FROM " + testenv.DebianBase + "\n"})
	if r := mustTbxIn(t, dir, "trust", "--show"); !strings.Contains(r.out, "not trusted") || !strings.Contains(r.out, "half") {
		t.Errorf("the Dockerfile's coming is not a change trust names:\n%s", r.out)
	}
}
