//go:build !windows

package conformance

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/tbx-dev/tbx/toolbox/cli"
	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

func TestDockerfilesBuildAsBuildKitSpecifies(t *testing.T) {
	c := testenv.Engine(t)
	testenv.Debian(t, c)
	cases, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 20 {
		t.Fatalf("the suite has %d Dockerfiles; it needs at least 20", len(cases))
	}
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("TBX_TRUST", os.TempDir())
	t.Setenv("TBX_PROGRESS", "plain")
	t.Setenv("TBX_WARM", "")
	t.Setenv("TBX_CONFORMANCE_SECRET", "s3cret") // 09-secret-mount
	sock, _ := testenv.SSHAgent(t, nil)
	t.Setenv("SSH_AUTH_SOCK", sock) // 10-ssh-mount
	testenv.PruneBuildCache(t, c, "tbx-conformance-")
	for _, cs := range cases {
		t.Run(cs.Name(), func(t *testing.T) { runCase(t, c, cs.Name()) })
	}
}

// runCase builds one Dockerfile with BuildKit, runs its check in the image,
// and, unless the case says why the classic builder cannot build it,
// compares the image with the classic builder's.
func runCase(t *testing.T, c *client.Client, name string) {
	root := t.TempDir()
	if err := os.CopyFS(filepath.Join(root, "case"), os.DirFS(filepath.Join("testdata", name))); err != nil {
		t.Fatal(err)
	}
	extra, _ := os.ReadFile(filepath.Join(root, "case", "recipe.toml"))
	if needs, err := os.ReadFile(filepath.Join(root, "case", "needs")); err == nil && refused(t, c, root, string(extra), strings.TrimSpace(string(needs))) {
		return
	}
	bk, bkProject, _ := build(t, c, root, "buildkit", string(extra))
	check, err := os.ReadFile(filepath.Join(root, "case", "check.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if r := tbx(t, filepath.Join(root, "buildkit"), "run", "--tool", "c", "--", "sh", "-c", string(check)); r.code != 0 {
		t.Errorf("the check fails in the image BuildKit built: exit %d\ncheck: %s%s%s", r.code, check, r.out, r.err)
	}
	if why, err := os.ReadFile(filepath.Join(root, "case", "buildkit-only")); err == nil {
		t.Logf("checked against the Dockerfile reference only: %s", strings.TrimSpace(string(why)))
		return
	}
	t.Setenv("TBX_BUILDKIT", "0")
	classic, _, steps := build(t, c, root, "classic", string(extra))
	t.Setenv("TBX_BUILDKIT", "")
	t.Cleanup(func() { removeStages(c, steps) })
	sameConfig(t, c, bk, classic)
	sameTree(t, c, bkProject, bk, classic)
}

// refused reports whether the Engine's BuildKit lacks the capability a
// case needs, in which case tbx must refuse to build it in one line that
// names it (an older BuildKit would ignore the feature silently).
func refused(t *testing.T, c *client.Client, root, extra, capability string) bool {
	t.Helper()
	dir := filepath.Join(root, "probe")
	writeRecipe(t, c, dir, extra)
	r := tbx(t, dir, "prepare")
	if r.code == 0 {
		return false // the Engine has it: the case runs in full
	}
	last := lastLine(r.err)
	if r.code != 125 || !strings.Contains(last, "needs a BuildKit with "+capability+", and the Engine's is") {
		t.Errorf("the Engine cannot build this case, and tbx did not say it needs %s: exit %d, %q", capability, r.code, last)
	}
	t.Logf("refused as it must be on this Engine: %s", last)
	return true
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// writeRecipe writes a recipe in dir whose tool c builds root/case, and
// returns its project's name.
func writeRecipe(t *testing.T, c *client.Client, dir, extra string) string {
	t.Helper()
	project := testenv.Project(t, c)
	testenv.WriteFiles(t, dir, map[string]string{
		"toolbox.toml": "[toolbox]\nname = \"" + project + "\"\n[tools.c]\nbuild = \"../case\"\n" + extra,
	})
	return project
}

// build writes a recipe in root/dir whose tool c builds root/case, prepares
// it and returns the image's reference, the project's name and, from the
// classic builder, the images of its steps.
func build(t *testing.T, c *client.Client, root, dir, extra string) (ref, project string, steps []string) {
	t.Helper()
	project = writeRecipe(t, c, filepath.Join(root, dir), extra)
	r := tbx(t, filepath.Join(root, dir), "prepare")
	if r.code != 0 {
		t.Fatalf("%s build: exit %d\n%s", dir, r.code, r.err)
	}
	for _, m := range stepImage.FindAllStringSubmatch(r.err, -1) {
		steps = append(steps, m[1])
	}
	r = tbx(t, filepath.Join(root, dir), "ls", "--json")
	var tools []struct{ Image, State string }
	if err := json.Unmarshal([]byte(r.out), &tools); err != nil || len(tools) != 1 || tools[0].State != "ready" {
		t.Fatalf("%s: tbx ls --json: %v %s", dir, err, r.out)
	}
	return tools[0].Image, project, steps
}

// The classic builder names the image of each step (" ---> ID"); those of
// an earlier stage are in no image's parents, so nothing removes them with
// the project's images.
var stepImage = regexp.MustCompile(` ---> ([0-9a-f]{12})\b`)

// removeStages removes the untagged step images of a classic build.
func removeStages(c *client.Client, steps []string) {
	ctx := context.Background()
	for _, id := range steps {
		ins, err := c.ImageInspect(ctx, id)
		if err != nil || len(ins.RepoTags) > 0 {
			continue // gone with the tool's image, or a base
		}
		_, _ = c.ImageRemove(ctx, ins.ID, image.RemoveOptions{PruneChildren: true})
	}
}

type result struct {
	out, err string
	code     int
}

// tbx runs tbx in-process in dir.
func tbx(t *testing.T, dir string, args ...string) result {
	t.Helper()
	t.Chdir(dir)
	var out, errb bytes.Buffer
	code := cli.Main(append([]string{"tbx"}, args...), strings.NewReader(""), &out, &errb)
	return result{out.String(), errb.String(), code}
}

// config is what an image's config says, without tbx's own labels.
type config struct {
	Env, Cmd, Entrypoint, Shell, OnBuild []string
	WorkingDir, User, StopSignal         string
	Labels                               map[string]string
	Healthcheck                          any
	ExposedPorts, Volumes                []string
}

func configOf(t *testing.T, c *client.Client, ref string) config {
	t.Helper()
	ins, err := c.ImageInspect(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	cf := ins.Config
	out := config{Env: cf.Env, Cmd: cf.Cmd, Entrypoint: cf.Entrypoint, Shell: cf.Shell, OnBuild: cf.OnBuild,
		WorkingDir: cf.WorkingDir, User: cf.User, StopSignal: cf.StopSignal, Labels: map[string]string{}}
	if cf.Healthcheck != nil {
		out.Healthcheck = *cf.Healthcheck
	}
	for k, v := range cf.Labels {
		if !strings.HasPrefix(k, "dev.tbx.") {
			out.Labels[k] = v
		}
	}
	for p := range cf.ExposedPorts {
		out.ExposedPorts = append(out.ExposedPorts, string(p))
	}
	for v := range cf.Volumes {
		out.Volumes = append(out.Volumes, v)
	}
	sort.Strings(out.ExposedPorts)
	sort.Strings(out.Volumes)
	for _, l := range []*[]string{&out.Env, &out.Cmd, &out.Entrypoint, &out.Shell, &out.OnBuild, &out.ExposedPorts, &out.Volumes} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	return out
}

func sameConfig(t *testing.T, c *client.Client, bk, classic string) {
	t.Helper()
	if a, b := configOf(t, c, bk), configOf(t, c, classic); !reflect.DeepEqual(a, b) {
		t.Errorf("configs differ:\nBuildKit %+v\nclassic  %+v", a, b)
	}
}

// sameTree compares every file of the two images: type, mode, owner,
// content and link target (not times).
func sameTree(t *testing.T, c *client.Client, project, bk, classic string) {
	t.Helper()
	a, b := treeOf(t, c, project, bk), treeOf(t, c, project, classic)
	var diffs []string
	for p, e := range a {
		if b[p] != e {
			diffs = append(diffs, fmt.Sprintf("%s: BuildKit %q, classic %q", p, e, b[p]))
		}
	}
	for p, e := range b {
		if _, ok := a[p]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: BuildKit none, classic %q", p, e))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("%d files differ (of %d), among them:\n%s", len(diffs), len(a), strings.Join(diffs[:min(len(diffs), 12)], "\n"))
	}
}

// treeOf reads an image's files through a container made (never started)
// from it: path → type, mode, owner, size, content hash, link target.
func treeOf(t *testing.T, c *client.Client, project, ref string) map[string]string {
	t.Helper()
	ctx := context.Background()
	created, err := c.ContainerCreate(ctx, &container.Config{Image: ref, Entrypoint: []string{"/none"}, Labels: map[string]string{labels.Project: project}}, nil, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	defer testenv.RemoveContainer(c, created.ID)
	rd, _, err := c.CopyFromContainer(ctx, created.ID, "/")
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	tree := map[string]string{}
	tr := tar.NewReader(rd)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return tree
		}
		if err != nil {
			t.Fatal(err)
		}
		sum := ""
		if h.Typeflag == tar.TypeReg {
			d := sha256.New()
			if _, err := io.Copy(d, tr); err != nil {
				t.Fatal(err)
			}
			sum = hex.EncodeToString(d.Sum(nil))[:16]
		}
		tree[strings.TrimPrefix(h.Name, "/")] = fmt.Sprintf("%c %o %d:%d %s %s", h.Typeflag, h.Mode, h.Uid, h.Gid, sum, h.Linkname)
	}
}
