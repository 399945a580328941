//go:build linux

package commands

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// outcome is what a call of tbx answered.
type outcome struct {
	code     int
	out, err string
}

// callIn runs bin (the front, tbx, or the core, tbx-core) in dir with env
// and, when gid is not 0, that primary group.
func callIn(t *testing.T, bin, dir string, env []string, gid uint32, args ...string) outcome {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, env
	if gid != 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(os.Getuid()), Gid: gid}}
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return outcome{exitCode(err), out.String(), errb.String()}
}

// withoutTrustDirs is the test's environment without TBX_TRUST, so that
// projects are trusted by their records, as a user's are.
func withoutTrustDirs(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TBX_TRUST=") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

var hostname = regexp.MustCompile(`(?m)^HOSTNAME=.*\n`)

// The front, serving a call from its route, and the core, reading the
// recipe and asking the Engine, give the same answer through every change
// of what the call depends on: the same decision (run or refuse, and why)
// and the same command environment. A change the route does not see makes
// the front answer as before, and fails here.
func TestFrontAndCoreAnswerAlike(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := runProject(t, c, "")
	deep := filepath.Join(dir, "sub", "deep")
	writeFiles(t, dir, map[string]string{"data/m": "outer data\n", "sub/deep/keep": "", "f.txt": "file\n", "ca.pem": "ca\n"})
	many := map[string]string{}
	for i := range 80 { // past watchMin: a watcher keeps the build's files for the front
		many[fmt.Sprintf("img/files/f%d", i)] = strconv.Itoa(i)
	}
	writeFiles(t, dir, many)
	pulled := project + "-pulled:1" // a tag tbx did not make, as a pulled tool's is
	tagAs(t, c, testenv.DebianBase, pulled)
	recipe := "[toolbox]\nname = \"" + project + "\"\n[tools.box]\nbuild = \"img\"\ncommands = [\"box-sh\"]\nwarm = \"5m\"\nenv = [\"TBXT_*\"]\nca_bundle = \"" + filepath.Join(dir, "ca.pem") + "\"\nvolumes = [\"" + filepath.Join(dir, "data") + ":/data\", \"" + filepath.Join(dir, "f.txt") + ":/f.txt\"]\n" +
		"[tools.pulled]\nimage = \"" + pulled + "\"\ncommands = [\"cat\"]\nwarm = \"5m\"\n"
	writeFiles(t, dir, map[string]string{"toolbox.toml": recipe})
	core := filepath.Join(filepath.Dir(tbxBin), "tbx-core")
	base := withoutTrustDirs("TBXT_V=one", "TERM=xterm")
	if r := callIn(t, tbxBin, dir, base, 0, "trust"); r.code != 0 {
		t.Fatalf("trust: %+v", r)
	}
	script := []string{"run", "box-sh", "-c", "pwd; id -u; id -g; cat /data/m /f.txt $SSL_CERT_FILE; env | sort"}
	catBox := []string{"run", "cat", "/usr/local/bin/box-noexec"} // in box's image, not in Debian's
	boxImage := imageOf(t, c, "tbx/"+project+"/box")
	front := frontAlone(t)
	callIn(t, core, deep, base, 0, script...)
	if r := callIn(t, front, deep, base, 0, script...); r.code != 0 || strings.Contains(r.err, "tbx-core is missing") {
		t.Fatalf("with nothing changed, the front alone did not serve the call: %+v", r)
	}

	nested := "[toolbox]\nname = \"" + testenv.Project(t, c) + "\"\n[tools.box]\nbuild = \"../img\"\ncommands = [\"box-sh\"]\nwarm = \"5m\"\n"
	moved := dir + ".moved"
	for _, tc := range []struct {
		name         string
		script       []string // the call, else script
		env          []string // the call's environment, else base
		gid          uint32
		change, undo func()
	}{
		{name: "nothing"},
		{name: "an edit of the recipe", change: func() { appendTo(t, filepath.Join(dir, "toolbox.toml"), "# edited\n") },
			undo: func() { writeFiles(t, dir, map[string]string{"toolbox.toml": recipe}) }},
		{name: "a lock that appears", change: func() { writeFiles(t, dir, map[string]string{"toolbox.lock": "version = 1\n"}) },
			undo: func() { _ = os.Remove(filepath.Join(dir, "toolbox.lock")) }},
		{name: "untrust", change: func() { callIn(t, tbxBin, dir, base, 0, "untrust") },
			undo: func() { callIn(t, tbxBin, dir, base, 0, "trust") }},
		{name: "a file the build is given", change: func() { writeFiles(t, dir, map[string]string{"img/new": "x"}) },
			undo: func() { _ = os.Remove(filepath.Join(dir, "img", "new")) }},
		{name: "a file the build is given, edited in place", change: func() { appendTo(t, filepath.Join(dir, "img", "files", "f1"), "more") },
			undo: func() { writeFiles(t, dir, map[string]string{"img/files/f1": "1"}) }},
		{name: "a host path that now leads elsewhere", change: func() {
			must(t, os.Rename(filepath.Join(dir, "data"), filepath.Join(dir, "data.was")), os.Symlink(filepath.Join(dir, "sub"), filepath.Join(dir, "data")))
		}, undo: func() {
			must(t, os.Remove(filepath.Join(dir, "data")), os.Rename(filepath.Join(dir, "data.was"), filepath.Join(dir, "data")))
		}},
		{name: "a file mounted on its own, saved as an editor saves it", change: func() { replaceFile(t, filepath.Join(dir, "f.txt"), "saved\n") },
			undo: func() { replaceFile(t, filepath.Join(dir, "f.txt"), "file\n") }},
		{name: "a mounted directory made anew", change: func() {
			must(t, os.RemoveAll(filepath.Join(dir, "data")))
			writeFiles(t, dir, map[string]string{"data/m": "new data\n"})
		}, undo: func() {
			must(t, os.RemoveAll(filepath.Join(dir, "data")))
			writeFiles(t, dir, map[string]string{"data/m": "outer data\n"})
		}},
		{name: "the CA bundle replaced", change: func() { replaceFile(t, filepath.Join(dir, "ca.pem"), "another ca\n") },
			undo: func() { replaceFile(t, filepath.Join(dir, "ca.pem"), "ca\n") }},
		{name: "the helper binary", change: func() { touch(t, filepath.Join(filepath.Dir(tbxBin), "tbx-warm")) }},
		{name: "the core binary", change: func() { touch(t, core) }},
		{name: "the front binary", change: func() { touch(t, tbxBin) }},
		{name: "the Docker client's configuration", env: append(append([]string{}, base...), "DOCKER_CONFIG="+t.TempDir())},
		{name: "a variable of tbx's", env: append(append([]string{}, base...), "TBX_WARM=off")},
		{name: "a variable of the Engine's", env: append(append([]string{}, base...), "DOCKER_HOST=unix:///nowhere.sock")},
		{name: "a rule's variable", env: withoutTrustDirs("TBXT_V=two", "TERM=xterm")},
		{name: "a rule's variable gone", env: withoutTrustDirs("TERM=xterm")},
		{name: "a new variable of a rule's", env: append(append([]string{}, base...), "TBXT_W=new")},
		{name: "TERM", env: withoutTrustDirs("TBXT_V=one", "TERM=dumb")},
		{name: "the primary group", gid: 100},
		{name: "a recipe appearing on the way up", change: func() { writeFiles(t, dir, map[string]string{"sub/toolbox.toml": nested}) },
			undo: func() { _ = os.Remove(filepath.Join(dir, "sub", "toolbox.toml")) }},
		{name: "a trusted recipe coming back on the way up", change: func() {
			writeFiles(t, dir, map[string]string{"sub/toolbox.toml": nested})
			callIn(t, tbxBin, filepath.Join(dir, "sub"), base, 0, "trust")
			callIn(t, tbxBin, filepath.Join(dir, "sub"), base, 0, "prepare") // its build's output is not a decision
			_ = os.Rename(filepath.Join(dir, "sub", "toolbox.toml"), filepath.Join(dir, "nested.was"))
			callIn(t, core, deep, base, 0, script...) // the outer project's route
			_ = os.Rename(filepath.Join(dir, "nested.was"), filepath.Join(dir, "sub", "toolbox.toml"))
		}, undo: func() { _ = os.Remove(filepath.Join(dir, "sub", "toolbox.toml")) }},
		{name: "the project moved, a symbolic link in its place", change: func() {
			must(t, os.Rename(dir, moved), os.Symlink(moved, dir))
		}, undo: func() { must(t, os.Remove(dir), os.Rename(moved, dir)) }},
		{name: "the project made anew in its place", change: func() {
			must(t, os.Rename(dir, moved), exec.Command("cp", "-a", moved, dir).Run())
		}, undo: func() { must(t, os.RemoveAll(dir), os.Rename(moved, dir)) }},
		{name: "a built tool's tag moved to an image tbx did not build", change: func() { tagAs(t, c, testenv.DebianBase, boxImage.tag) },
			undo: func() { tagAs(t, c, boxImage.id, boxImage.tag) }},
		{name: "a pulled tool's tag moved", script: catBox, change: func() { tagAs(t, c, boxImage.id, pulled) },
			undo: func() { tagAs(t, c, testenv.DebianBase, pulled) }},
	} {
		env, call := tc.env, tc.script
		if env == nil {
			env = base
		}
		if call == nil {
			call = script
		}
		callIn(t, core, deep, base, 0, call...) // the route, as things were
		watching(t)
		if tc.change != nil {
			tc.change()
		}
		fr := callIn(t, tbxBin, deep, env, tc.gid, call...)
		co := callIn(t, core, deep, env, tc.gid, call...)
		fr.out, co.out = hostname.ReplaceAllString(fr.out, ""), hostname.ReplaceAllString(co.out, "")
		if fr != co {
			t.Errorf("after %s, the front and the core answer differently:\nfront: %+v\ncore:  %+v", tc.name, fr, co)
		}
		t.Logf("%s: exit %d %s", tc.name, co.code, firstLine(co.err))
		if tc.undo != nil {
			tc.undo()
		}
	}
}

// tagAs tags the image src as ref; the tag goes when the test ends.
func tagAs(t *testing.T, c *client.Client, src, ref string) {
	t.Helper()
	if err := c.ImageTag(context.Background(), src, ref); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.ImageRemove(context.Background(), ref, image.RemoveOptions{}) })
}

// builtImage is a tool's image: its tag and ID.
type builtImage struct{ tag, id string }

// imageOf is the one image the Engine has in repository repo.
func imageOf(t *testing.T, c *client.Client, repo string) builtImage {
	t.Helper()
	ims, err := c.ImageList(context.Background(), image.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", repo))})
	if err != nil || len(ims) != 1 || len(ims[0].RepoTags) != 1 {
		t.Fatalf("the images of %s: %v %v", repo, ims, err)
	}
	return builtImage{ims[0].RepoTags[0], ims[0].ID}
}

// replaceFile writes text to a new file and renames it over path, as an
// editor's save does: another inode at the same name.
func replaceFile(t *testing.T, path, text string) {
	t.Helper()
	must(t, os.WriteFile(path+".new", []byte(text), 0o644), os.Rename(path+".new", path))
}

// watching waits until a watcher of the build's files, which the last
// core call started, vouches for them, so that the front's next call asks
// it rather than stamping them.
func watching(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		locks, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_STATE_HOME"), "tbx", "watch", "*.lock"))
		for _, l := range locks {
			if b, err := os.ReadFile(l); err == nil && string(b) == "ready" {
				return
			}
		}
	}
	t.Fatal("no watcher vouches for the build's files 5s after a core call")
}

func must(t *testing.T, errs ...error) {
	t.Helper()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func touch(t *testing.T, path string) {
	t.Helper()
	later := time.Now().Add(time.Second)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
