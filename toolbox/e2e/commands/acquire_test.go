//go:build !windows

package commands

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"

	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// buildProject writes a recipe with one built tool, "hello", whose context
// starts FROM a tiny imported base, and returns the recipe's path.
func buildProject(t *testing.T, c *client.Client) (recipePath, project string) {
	t.Helper()
	base := testenv.ImportBase(t, c, map[string]string{"etc/base": "base\n"})
	project = testenv.Project(t, c)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"toolbox.toml":             "[toolbox]\nname = \"" + project + "\"\n[tools.hello]\nbuild = \"img\"\nargs = { HELLO_VERSION = \"1.0\" }\n",
		"img/Dockerfile":           "FROM " + base + "\nARG HELLO_VERSION\nCOPY . /ctx\n",
		"img/.dockerignore":        "*.log\n",
		"img/greeting.txt":         "hello\n",
		"img/dir with space/ç.txt": "unicode\n",
		"img/build.log":            "ignored\n",
	})
	return filepath.Join(dir, "toolbox.toml"), project
}

// lsEntry is one tool in `tbx ls --json`, as a script reads it: the
// fields are the documented keys (README, "tbx ls --json").
type lsEntry struct {
	Tool     string   `json:"tool"`
	Commands []string `json:"commands"`
	Source   string   `json:"source"`
	Version  string   `json:"version"`
	Image    string   `json:"image"`
	State    string   `json:"state"`
	Lock     string   `json:"lock"`
	Notes    []string `json:"notes"`
}

func lsJSON(t *testing.T, recipe string) []lsEntry {
	t.Helper()
	var entries []lsEntry
	r := mustTbx(t, "-f", recipe, "ls", "--json")
	if err := json.Unmarshal([]byte(r.out), &entries); err != nil {
		t.Fatalf("ls --json: %v\n%s", err, r.out)
	}
	return entries
}

func TestBuildThenFreshImageIsNotRebuilt(t *testing.T) {
	c := testenv.Engine(t)
	recipe, project := buildProject(t, c)
	if e := lsJSON(t, recipe); e[0].State != "missing" || e[0].Version != "1.0" || e[0].Source != "build" {
		t.Fatalf("before prepare: %+v", e[0])
	}
	mustTbx(t, "-f", recipe, "--progress", "plain", "prepare")
	first := lsJSON(t, recipe)[0]
	if first.State != "ready" || !strings.HasPrefix(first.Image, "tbx/"+project+"/hello:") {
		t.Fatalf("after prepare: %+v", first)
	}
	im, err := c.ImageInspect(context.Background(), first.Image)
	if err != nil {
		t.Fatal(err)
	}
	if im.Config.Labels[labels.Project] != project || im.Config.Labels[labels.Tool] != "hello" ||
		!strings.HasPrefix(im.Config.Labels[labels.Hash], strings.TrimPrefix(first.Image, "tbx/"+project+"/hello:")) {
		t.Errorf("labels: %v", im.Config.Labels)
	}
	if p, ok := im.Config.Labels["dev.tbx.recipe"]; ok {
		t.Errorf("the image carries the builder's recipe path %s, which every container of it shows", p)
	}

	since := time.Now()
	r := mustTbx(t, "-f", recipe, "--progress", "plain", "prepare")
	until := time.Now()
	if strings.Contains(r.err, "building") {
		t.Errorf("a fresh image was rebuilt: %s", r.err)
	}
	if evs := engineEvents(t, c, since, until); len(evs) != 0 {
		t.Errorf("preparing a fresh image made Engine events: %+v", evs)
	}
	im2, err := c.ImageInspect(context.Background(), first.Image)
	if err != nil || im2.ID != im.ID {
		t.Errorf("image changed: %s → %s (%v)", im.ID, im2.ID, err)
	}
}

// engineEvents returns the image and container events between since and until.
func engineEvents(t *testing.T, c *client.Client, since, until time.Time) []events.Message {
	t.Helper()
	f := filters.NewArgs(filters.Arg("type", "image"), filters.Arg("type", "container"))
	msgs, errs := c.Events(context.Background(), events.ListOptions{Since: eventTime(since), Until: eventTime(until), Filters: f})
	var out []events.Message
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				return out
			}
			out = append(out, m)
		case err := <-errs:
			if err != nil && !strings.Contains(err.Error(), "EOF") {
				t.Fatal(err)
			}
			return out
		}
	}
}

func TestChangedInputRebuildsIgnoredChangeDoesNot(t *testing.T) {
	c := testenv.Engine(t)
	recipe, _ := buildProject(t, c)
	mustTbx(t, "-f", recipe, "--progress", "plain", "prepare")
	first := lsJSON(t, recipe)[0]

	writeFiles(t, filepath.Dir(recipe), map[string]string{"img/build.log": "changed but ignored\n"})
	if e := lsJSON(t, recipe)[0]; e.State != "ready" || e.Image != first.Image {
		t.Fatalf("an ignored change made the tool %s (%s)", e.State, e.Image)
	}

	writeFiles(t, filepath.Dir(recipe), map[string]string{"img/greeting.txt": "hello!\n"})
	stale := lsJSON(t, recipe)[0]
	if stale.State != "stale" || stale.Image == first.Image {
		t.Fatalf("after a changed byte: %+v", stale)
	}
	mustTbx(t, "-f", recipe, "--progress", "plain", "prepare")
	if e := lsJSON(t, recipe)[0]; e.State != "ready" || e.Image != stale.Image {
		t.Fatalf("after rebuilding: %+v", e)
	}
}

func TestForceRebuildReplacesImage(t *testing.T) {
	c := testenv.Engine(t)
	recipe, _ := buildProject(t, c)
	mustTbx(t, "-f", recipe, "--progress", "plain", "build")
	ref := lsJSON(t, recipe)[0].Image
	before, _ := c.ImageInspect(context.Background(), ref)
	r := mustTbx(t, "-f", recipe, "--progress", "plain", "build", "--force", "hello")
	if !strings.Contains(r.err, "building") {
		t.Fatalf("--force did not build: %s", r.err)
	}
	after, _ := c.ImageInspect(context.Background(), ref)
	if after.ID == before.ID {
		t.Fatal("--force reproduced the same image: the cache was used")
	}
	if _, err := c.ImageInspect(context.Background(), before.ID); !cerrdefs.IsNotFound(err) {
		t.Errorf("the superseded image %s is still there: %v", before.ID, err)
	}
}

func TestBuildFailureIsOneLineAndLeavesNothing(t *testing.T) {
	c := testenv.Engine(t)
	recipe, project := buildProject(t, c)
	writeFiles(t, filepath.Dir(recipe), map[string]string{"img/Dockerfile": "FROM " + lsBase(t, recipe) + "\nCOPY missing-file /x\n"})
	r := tbx(t, "-f", recipe, "--progress", "plain", "prepare")
	if r.code != 125 {
		t.Fatalf("exit %d, want 125; stderr: %s", r.code, r.err)
	}
	last := lastLine(r.err)
	if !strings.HasPrefix(last, "tbx: building tool hello: ") || !strings.Contains(last, "missing-file") {
		t.Errorf("last line: %q", last)
	}
	if left := testenv.LeftContainers(t, c, labels.Project+"="+project); len(left) != 0 {
		t.Errorf("containers left: %v", left)
	}
}

func lsBase(t *testing.T, recipe string) string {
	b, err := os.ReadFile(filepath.Join(filepath.Dir(recipe), "img/Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "FROM ")
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestMissingBaseImageIsNamed(t *testing.T) {
	c := testenv.Engine(t)
	project := testenv.Project(t, c)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"toolbox.toml":   "[toolbox]\nname = \"" + project + "\"\n[tools.x]\nbuild = \"img\"\n",
		"img/Dockerfile": "FROM 127.0.0.1:1/tbx-test/absent:1\n",
	})
	r := tbx(t, "-f", filepath.Join(dir, "toolbox.toml"), "--progress", "plain", "prepare")
	last := lastLine(r.err)
	if r.code != 125 || !strings.Contains(last, "base image 127.0.0.1:1/tbx-test/absent:1 is missing") || !strings.Contains(last, "then retry") {
		t.Fatalf("exit %d, last line %q", r.code, last)
	}
}

func TestPullTagAndDigestFromRegistry(t *testing.T) {
	c := testenv.Engine(t)
	addr := testenv.Registry(t, "")
	base := testenv.ImportBase(t, c, map[string]string{"bin/jq": "not really jq\n"})
	remote := addr + "/tools/jq:1.7"
	digest := push(t, c, base, remote)
	testenv.RemoveImage(c, remote)

	project := testenv.Project(t, c)
	dir := t.TempDir()
	recipe := filepath.Join(dir, "toolbox.toml")
	for _, ref := range []string{remote, addr + "/tools/jq@" + digest} {
		writeFiles(t, dir, map[string]string{"toolbox.toml": "[toolbox]\nname = \"" + project + "\"\n[tools.jq]\nimage = \"" + ref + "\"\n"})
		if e := lsJSON(t, recipe)[0]; e.State != "missing" || e.Source != "image" {
			t.Fatalf("%s before pull: %+v", ref, e)
		}
		mustTbx(t, "-f", recipe, "--progress", "plain", "pull")
		if e := lsJSON(t, recipe)[0]; e.State != "ready" {
			t.Fatalf("%s after pull: %+v", ref, e)
		}
		if r := tbx(t, "-f", recipe, "build", "jq"); r.code != 125 || !strings.Contains(r.err, "tool jq is pulled") {
			t.Errorf("build of a pulled tool: exit %d, %q", r.code, r.err)
		}
		im, err := c.ImageInspect(context.Background(), ref)
		if err != nil || !strings.Contains(strings.Join(im.RepoDigests, " "), digest) {
			t.Fatalf("%s: pulled image has digests %v (%v), want %s", ref, im.RepoDigests, err, digest)
		}
		testenv.RemoveImage(c, im.ID)
	}
}

// push tags src as dst, pushes it and returns its digest.
func push(t *testing.T, c *client.Client, src, dst string) string {
	return pushAs(t, c, src, dst, registry.AuthConfig{})
}

// pushAs is push with credentials.
func pushAs(t *testing.T, c *client.Client, src, dst string, ac registry.AuthConfig) string {
	t.Helper()
	ctx := context.Background()
	if err := c.ImageTag(ctx, src, dst); err != nil {
		t.Fatal(err)
	}
	auth, _ := registry.EncodeAuthConfig(ac)
	rc, err := c.ImagePush(ctx, dst, image.PushOptions{RegistryAuth: auth})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var digest string
	dec := json.NewDecoder(rc)
	for {
		var m struct {
			Error string
			Aux   struct{ Digest string }
		}
		if dec.Decode(&m) != nil {
			break
		}
		if m.Error != "" {
			t.Fatalf("push: %s", m.Error)
		}
		if m.Aux.Digest != "" {
			digest = m.Aux.Digest
		}
	}
	if digest == "" {
		t.Fatal("push reported no digest")
	}
	return digest
}

func TestDoctorSaysWhatToDo(t *testing.T) {
	c := testenv.Engine(t)
	recipe, _ := buildProject(t, c)
	r := tbx(t, "-f", recipe, "doctor")
	if r.code != 1 || !strings.Contains(r.out, "FAIL  tool hello: missing") || !strings.Contains(r.out, "→ run `tbx prepare`") ||
		!strings.Contains(r.out, "ok    Engine ") || !strings.Contains(r.err, "doctor found 1 problem(s)") {
		t.Fatalf("doctor before prepare: exit %d\n%s%s", r.code, r.out, r.err)
	}
	mustTbx(t, "-f", recipe, "--progress", "plain", "prepare")
	r = mustTbx(t, "-f", recipe, "doctor")
	if !strings.Contains(r.out, "ok    tool hello: ready") || !strings.Contains(r.out, "ok    free disk: ") {
		t.Errorf("doctor after prepare:\n%s", r.out)
	}
	t.Setenv("DOCKER_HOST", "unix:///nonexistent.sock")
	if r := tbx(t, "-f", recipe, "doctor"); r.code != 1 || !strings.Contains(r.out, "FAIL  cannot reach the Docker Engine") || !strings.Contains(r.out, "ok    recipe ") {
		t.Errorf("doctor without an Engine: exit %d\n%s", r.code, r.out)
	}
}
