//go:build !windows

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbx-dev/tbx/recipes"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// Every example recipe, and the repository's own, parses and validates once
// written into a project by `tbx init`.
func TestInitWritesValidRecipes(t *testing.T) {
	repoRecipe, _ := filepath.Abs("../../toolbox.toml")
	for _, name := range recipes.Names() {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "My Team_Tools")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			r := tbxIn(t, dir, "init", "--recipe", name)
			if r.code != 0 {
				t.Fatalf("init: exit %d: %s", r.code, r.err)
			}
			rec, err := recipe.Load(filepath.Join(dir, recipe.FileName), recipe.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rec.Name != "my-team-tools" || len(rec.Tools) == 0 {
				t.Errorf("recipe %q with %d tools", rec.Name, len(rec.Tools))
			}
			if r := tbxIn(t, dir, "init", "--recipe", name); r.code != 125 || !strings.Contains(r.err, "already exists") {
				t.Errorf("second init: exit %d, %q", r.code, r.err)
			}
		})
	}
	if r := tbxIn(t, t.TempDir(), "init", "--recipe", "nope"); r.code != 125 || !strings.Contains(r.err, "no example recipe") {
		t.Errorf("unknown recipe: exit %d, %q", r.code, r.err)
	}
	if _, err := recipe.Load(repoRecipe, recipe.Options{}); err != nil {
		t.Errorf("the repository's toolbox.toml: %v", err)
	}
}

func TestErrorsAreOneLineWithExitCodes(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"toolbox.toml": "[toolbox]\nname = \"p\"\n[tools.az]\nbulid = \"x\"\n"})
	cases := []struct {
		args []string
		env  map[string]string
		code int
		want string
	}{
		{[]string{"ls"}, nil, 125, `tbx: toolbox.toml:4:1: tools.az.bulid: unknown key in [tools.az]; did you mean "build"?`},
		{[]string{"-f", "/nonexistent/toolbox.toml", "ls"}, nil, 125, "tbx: cannot read the recipe /nonexistent/toolbox.toml: no such file or directory"},
		{[]string{"frobnicate"}, nil, 125, `tbx: unknown command "frobnicate"; commands: `},
		{[]string{"rnu", "jq"}, nil, 125, "tbx: unknown command \"rnu\"; did you mean `tbx run`?"},
		{[]string{"ls", "--bogus"}, nil, 125, "tbx: flag provided but not defined: -bogus; see `tbx ls --help`"},
		{[]string{"gc"}, map[string]string{"DOCKER_HOST": "unix:///nonexistent.sock"}, 125, "tbx: cannot reach the Docker Engine at unix:///nonexistent.sock"},
		{[]string{"gc"}, map[string]string{"DOCKER_HOST": "unix:///run/user/4242/podman/podman.sock"}, 125,
			"tbx: the Podman service at unix:///run/user/4242/podman/podman.sock is not running; start it: systemctl --user enable --now podman.socket"},
	}
	for _, c := range cases {
		for k, v := range c.env {
			t.Setenv(k, v)
		}
		r := tbxIn(t, dir, c.args...)
		if r.code != c.code || !strings.HasPrefix(r.err, c.want) || strings.Count(r.err, "\n") != 1 || r.out != "" {
			t.Errorf("tbx %v: exit %d, stdout %q, stderr %q; want %d and %q", c.args, r.code, r.out, r.err, c.code, c.want)
		}
	}
	empty := t.TempDir()
	if r := tbxIn(t, empty, "ls"); r.code != 125 || !strings.Contains(r.err, "no toolbox.toml found in "+recipe.RealPath(empty)) {
		t.Errorf("no recipe: exit %d, %q", r.code, r.err)
	}
}

// A word after a command is a tool's name, even when it is urfave's help
// alias: `tbx build h` names the tool h (the help is --help).
func TestAToolMayBeNamedH(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"toolbox.toml": "[toolbox]\nname = \"p\"\n[tools.jq]\nimage = \"jq:1\"\n"})
	for _, word := range []string{"h", "help"} {
		r := tbxIn(t, dir, "--trust", "pull", word)
		if r.code != 125 || !strings.Contains(r.err, `no tool "`+word+`"`) || strings.Contains(r.out, "USAGE") {
			t.Errorf("tbx pull %s: exit %d, stdout %q, stderr %q; want the tool named", word, r.code, r.out, r.err)
		}
	}
}

// With the Engine down, prepare says so once, with what to do, however
// many tools the recipe has.
func TestAnEngineThatIsDownIsSaidOnce(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"toolbox.toml":   "[toolbox]\nname = \"p\"\n[tools.a]\nbuild = \"img\"\n[tools.b]\nbuild = \"img\"\n[tools.jq]\nimage = \"jq:1\"\n",
		"img/Dockerfile": "FROM debian:bookworm-slim\n",
	})
	t.Setenv("DOCKER_HOST", "unix:///nonexistent.sock")
	r := tbxIn(t, dir, "--trust", "prepare")
	if r.code != 125 || strings.Count(r.err, "\n") != 1 || !strings.HasPrefix(r.err, "tbx: cannot reach the Docker Engine at unix:///nonexistent.sock") || !strings.Contains(r.err, "start dockerd") {
		t.Errorf("prepare with the Engine down: exit %d, stderr %q; want one line with advice", r.code, r.err)
	}
}

// Plain `tbx init` starts from the smallest example, and names the others
// and how to start from one.
func TestPlainInitStartsSmall(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "proj")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := tbxIn(t, dir, "init")
	if r.code != 0 || !strings.Contains(r.err, `from the "minimal" example`) || !strings.Contains(r.err, "other examples: azure-ansible, platform (`tbx init --force --recipe NAME`)") {
		t.Fatalf("plain init: %+v", r)
	}
	rec, err := recipe.Load(filepath.Join(dir, recipe.FileName), recipe.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Tools) != 1 {
		t.Errorf("plain init wrote %d tools, want the minimal example's one", len(rec.Tools))
	}
}

// init writes only what it says, never through a symlink, and trusts only
// what it wrote.
func TestInitWritesOnlyWhatItSays(t *testing.T) {
	t.Setenv("TBX_TRUST", "")
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	victim := filepath.Join(t.TempDir(), "victim")
	writeFiles(t, filepath.Dir(victim), map[string]string{"victim": "precious\n"})

	dir := t.TempDir()
	if err := os.Symlink(victim, filepath.Join(dir, "toolbox.toml")); err != nil {
		t.Fatal(err)
	}
	r := tbxIn(t, dir, "init", "--force", "--recipe", "minimal")
	if r.code != 125 || !strings.Contains(r.err, "symbolic link") {
		t.Errorf("init --force over a symlink: exit %d, %q", r.code, r.err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Errorf("init wrote through the symlink: %q", b)
	}

	dir = t.TempDir()
	elsewhere := t.TempDir()
	if err := os.Symlink(elsewhere, filepath.Join(dir, "images")); err != nil {
		t.Fatal(err)
	}
	if r := tbxIn(t, dir, "init", "--recipe", "platform"); r.code != 125 || !strings.Contains(r.err, "images is a symbolic link") {
		t.Errorf("init with images/ a symlink: exit %d, %q", r.code, r.err)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("init wrote %d entries through the symlink", len(entries))
	}
	if _, err := os.Lstat(filepath.Join(dir, "toolbox.toml")); err == nil {
		t.Error("init left a recipe behind after refusing")
	}

	dir = t.TempDir()
	mine := "FROM " + testenv.DebianBase + "\nRUN echo the clone's own\n"
	writeFiles(t, dir, map[string]string{"images/azure-cli/Dockerfile": mine})
	r = mustTbxIn(t, dir, "init", "--recipe", "platform")
	if !strings.Contains(r.err, "kept the existing images/azure-cli/Dockerfile") || !strings.Contains(r.err, "not trusted") {
		t.Errorf("init over an existing Dockerfile says %q", r.err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "images/azure-cli/Dockerfile")); string(b) != mine {
		t.Errorf("init changed the existing Dockerfile")
	}
	if r := mustTbxIn(t, dir, "trust", "--show"); !strings.Contains(r.out, "\nnot trusted") {
		t.Errorf("init trusted what it did not write:\n%s", r.out)
	}
}

// tbx init trusts the recipe it writes.
func TestInitTrustsItsRecipe(t *testing.T) {
	t.Setenv("TBX_TRUST", "")
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := t.TempDir()
	mustTbxIn(t, dir, "init", "--recipe", "minimal")
	if r := mustTbxIn(t, dir, "trust", "--show"); !strings.HasSuffix(r.out, "\ntrusted\n") {
		t.Errorf("after init, trust --show ends %q", r.out)
	}
}
