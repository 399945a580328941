//go:build !windows

package commands

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"

	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/lockfile"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// teamProject is a project with a built tool "hello" (from Debian) and a
// pulled tool "jq" whose image is in the test's registry as jq:1.7.
type teamProject struct {
	dir, recipe, project, registry string
	jqDigest                       string
}

func newTeamProject(t *testing.T, a *client.Client) *teamProject {
	t.Helper()
	testenv.Debian(t, a)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("TBX_REGISTRY", "")
	p := &teamProject{registry: testenv.Registry(t, ""), project: testenv.Project(t, a), dir: t.TempDir()}
	jq := p.registry + "/tools/jq:1.7"
	p.jqDigest = push(t, a, testenv.DebianBase, jq)
	testenv.RemoveImage(a, jq)
	writeFiles(t, p.dir, map[string]string{
		"toolbox.toml": "[toolbox]\nname = \"" + p.project + "\"\nregistry = \"" + p.registry + "\"\n[tools.hello]\nbuild = \"img\"\n" +
			"[tools.jq]\nimage = \"" + jq + "\"\n",
		"img/Dockerfile": "FROM " + testenv.DebianBase + "\n" +
			"RUN printf '#!/bin/sh\\necho hello from %s\\n' " + p.project + " > /usr/local/bin/hello && chmod +x /usr/local/bin/hello\n",
	})
	p.recipe = filepath.Join(p.dir, "toolbox.toml")
	return p
}

func (p *teamProject) lock(t *testing.T) *lockfile.Lock {
	t.Helper()
	l, err := lockfile.Read(lockfile.Path(p.recipe))
	if err != nil || l == nil {
		t.Fatalf("reading the lock: %v", err)
	}
	return l
}

// Engine A publishes and locks; Engine B, empty, gets every tool by digest
// with zero builds, the same images, and the same output.
func TestTeamRegistryAcrossTwoEngines(t *testing.T) {
	a := testenv.Engine(t)
	p := newTeamProject(t, a)
	b, bHost := testenv.SecondEngine(t, a)
	proxy, calls := testenv.CountingProxy(t, bHost)

	t.Setenv("TBX_REGISTRY", p.registry)
	r := mustTbx(t, "-f", p.recipe, "--progress", "plain", "prepare", "--push")
	if !strings.Contains(r.err, "hello: ready, built") || !strings.Contains(r.err, "hello: pushed "+p.registry+"/"+p.project+"/hello:") {
		t.Fatalf("prepare --push on A:\n%s", r.err)
	}
	locked := mustTbx(t, "-f", p.recipe, "--progress", "plain", "lock")
	l := p.lock(t)
	base, hello, jq := l.Bases[testenv.DebianBase], l.Tools["hello"], l.Tools["jq"]
	// One push per tool: publishing the base made here changed no hash.
	if tags := testenv.Tags(t, p.registry, p.project+"/hello"); len(tags) != 1 || len(hello.Hash) < 16 || tags[0] != hello.Hash[:16] ||
		strings.Contains(locked.err, "hello: pushed") || !strings.Contains(r.err, "/hello:"+hello.Hash[:16]) {
		t.Errorf("hello's tags after prepare --push and lock: %v, lock's hash %.16s; lock said:\n%s", tags, hello.Hash, locked.err)
	}
	if !strings.HasPrefix(base.Image, p.registry+"/base/debian@sha256:") || hello.Digest == "" || len(hello.Hash) != 64 ||
		jq.Digest != p.jqDigest || jq.Ref != p.registry+"/tools/jq:1.7" {
		t.Fatalf("lock: %+v", l)
	}
	mustTbx(t, "-f", p.recipe, "lock", "--check")
	onA := mustTbxIn(t, p.dir, "run", "hello").out

	t.Setenv("DOCKER_HOST", proxy)
	r = mustTbx(t, "-f", p.recipe, "--progress", "plain", "prepare", "--frozen")
	if !strings.Contains(r.err, "hello: ready, pulled from the team registry") || !strings.Contains(r.err, "jq: ready, pulled") {
		t.Errorf("prepare --frozen on B:\n%s", r.err)
	}
	if builds := append(calls.Matching("/build"), append(calls.Matching("/grpc"), calls.Matching("/session")...)...); len(builds) != 0 {
		t.Errorf("Engine B was asked to build: %v", builds)
	}
	if pulls := calls.Matching("POST /images/create"); len(pulls) != 2 {
		t.Errorf("Engine B got %d pulls, want 2 (hello and jq): %v", len(pulls), calls.All())
	}
	sameImages(t, a, b, p, hello.Digest)
	if onB := mustTbxIn(t, p.dir, "run", "--frozen", "hello").out; onB != onA || onA != "hello from "+p.project+"\n" {
		t.Errorf("tbx run hello: on A %q, on B %q", onA, onB)
	}
	t.Run("a container runs from the locked digest", func(t *testing.T) { runsLockedDigest(t, b, p, proxy) })
	t.Run("a moved tag changes nothing", func(t *testing.T) { movedTag(t, a, b, p) })
	t.Run("an edited recipe makes the lock stale", func(t *testing.T) { editedRecipe(t, p) })
	t.Run("an unreachable registry", func(t *testing.T) { unreachableRegistry(t, b, p) })
}

// sameImages: B's hello has A's image ID (config digest) and the locked
// registry digest.
func sameImages(t *testing.T, a, b *client.Client, p *teamProject, digest string) {
	t.Helper()
	ref := lsJSON(t, p.recipe)[0].Image
	imA, errA := a.ImageInspect(context.Background(), ref)
	imB, errB := b.ImageInspect(context.Background(), ref)
	if errA != nil || errB != nil || imA.ID != imB.ID {
		t.Fatalf("%s: A %s (%v), B %s (%v)", ref, imA.ID, errA, imB.ID, errB)
	}
	if !strings.Contains(strings.Join(imB.RepoDigests, " "), "@"+digest) {
		t.Errorf("B's %s has digests %v, not the locked %s", ref, imB.RepoDigests, digest)
	}
}

// runsLockedDigest inspects a running container of jq on B.
func runsLockedDigest(t *testing.T, b *client.Client, p *teamProject, host string) {
	cmd := tbxProcess(p.dir, "-f", p.recipe, "run", "--frozen", "--tool", "jq", "--", "sh", "-c", "echo ready; exec sleep 60")
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+host)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitLine(t, bufio.NewReader(out), "ready")
	cs, err := b.ContainerList(context.Background(), container.ListOptions{Filters: labels.ForProject(p.project)})
	if err != nil || len(cs) != 1 {
		t.Fatalf("containers of the project on B: %d (%v)", len(cs), err)
	}
	ct, err := b.ContainerInspect(context.Background(), cs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	im, err := b.ImageInspect(context.Background(), ct.Image)
	if err != nil {
		t.Fatal(err)
	}
	want := p.registry + "/tools/jq@" + p.jqDigest
	if ct.Config.Image != want || !strings.Contains(strings.Join(im.RepoDigests, " "), want) {
		t.Errorf("the container runs %s (%s, digests %v), want the locked %s", ct.Config.Image, ct.Image, im.RepoDigests, want)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
}

// movedTag pushes another image as jq:1.7: frozen runs still get the
// locked one, pulled again on a B that lost it.
func movedTag(t *testing.T, a, b *client.Client, p *teamProject) {
	hello := lsJSON(t, p.recipe)[0].Image
	moved := push(t, a, hello, p.registry+"/tools/jq:1.7")
	if moved == p.jqDigest {
		t.Fatal("the tag did not move")
	}
	testenv.RemoveImage(b, p.registry+"/tools/jq@"+p.jqDigest)
	mustTbx(t, "-f", p.recipe, "--progress", "plain", "prepare", "--frozen", "jq")
	e := lsJSON(t, p.recipe)[1]
	im, err := b.ImageInspect(context.Background(), e.Image)
	if err != nil || e.Image != p.registry+"/tools/jq@"+p.jqDigest || strings.Contains(strings.Join(im.RepoDigests, " "), moved) {
		t.Errorf("after the tag moved, jq is %s (digests %v, %v)", e.Image, im.RepoDigests, err)
	}
}

// editedRecipe: one changed Dockerfile line and frozen refuses the tool by
// name; lock --check names it and exits 1.
func editedRecipe(t *testing.T, p *teamProject) {
	df := filepath.Join(p.dir, "img/Dockerfile")
	orig := readFile(t, df)
	t.Cleanup(func() { writeFiles(t, p.dir, map[string]string{"img/Dockerfile": orig}) })
	writeFiles(t, p.dir, map[string]string{"img/Dockerfile": orig + "RUN true\n"})
	r := tbx(t, "-f", p.recipe, "prepare", "--frozen")
	if r.code != 125 || strings.Count(r.err, "\n") != 1 || !strings.HasPrefix(r.err, "tbx: tool hello: toolbox.lock is stale (--frozen)") {
		t.Errorf("frozen after an edit: exit %d, %q", r.code, r.err)
	}
	r = tbx(t, "-f", p.recipe, "lock", "--check")
	if r.code != 1 || !strings.HasPrefix(r.out, "tool hello: build inputs changed (locked ") {
		t.Errorf("lock --check after an edit: exit %d, %q %q", r.code, r.out, r.err)
	}
}

func unreachableRegistry(t *testing.T, b *client.Client, p *teamProject) {
	t.Setenv("TBX_REGISTRY", "127.0.0.1:1")
	testenv.RemoveImage(b, lsJSON(t, p.recipe)[0].Image)
	r := tbx(t, "-f", p.recipe, "prepare", "--frozen", "hello")
	if r.code != 125 || strings.Count(r.err, "tbx: tool hello") != 1 || !strings.Contains(lastLine(r.err), "cannot reach the registry 127.0.0.1:1") {
		t.Errorf("frozen, registry unreachable: exit %d, %q", r.code, r.err)
	}
	r = mustTbx(t, "-f", p.recipe, "--progress", "plain", "prepare", "hello")
	if !strings.Contains(r.err, "warning: hello: pulling 127.0.0.1:1/") || !strings.Contains(r.err, "building it instead") ||
		!strings.Contains(r.err, "hello: ready, built") {
		t.Errorf("not frozen, registry unreachable:\n%s", r.err)
	}
}

// Two Engines whose base images of the same name differ hash a tool
// differently; once the lock pins the base, the same.
func TestLockedBasesGiveOneHashOnTwoEngines(t *testing.T) {
	a := testenv.Engine(t)
	b, bHost := testenv.SecondEngine(t, a)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("TBX_REGISTRY", "")
	addr := testenv.Registry(t, "")
	base := testenv.Name("tbx-test/base-") + ":1"
	testenv.ImportBaseAs(t, a, base, map[string]string{"etc/made": "on A\n"})
	testenv.ImportBaseAs(t, b, base, map[string]string{"etc/made": "on B\n"})
	project := testenv.Project(t, a)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"toolbox.toml":   "[toolbox]\nname = \"" + project + "\"\nregistry = \"" + addr + "\"\n[tools.copy]\nbuild = \"img\"\n",
		"img/Dockerfile": "FROM " + base + "\nCOPY . /ctx\n",
		"img/data.txt":   "same on both\n",
	})
	recipe := filepath.Join(dir, "toolbox.toml")
	onB := func() lsEntry {
		t.Setenv("DOCKER_HOST", bHost)
		defer t.Setenv("DOCKER_HOST", "")
		return lsJSON(t, recipe)[0]
	}
	t.Setenv("DOCKER_HOST", "")
	if a, b := lsJSON(t, recipe)[0], onB(); a.Image == b.Image {
		t.Fatalf("different bases, one tag %s: the test proves nothing", a.Image)
	}

	mustTbx(t, "-f", recipe, "--progress", "plain", "prepare")
	mustTbx(t, "-f", recipe, "--progress", "plain", "lock")
	onA := lsJSON(t, recipe)[0] // the team registry is not asked: the lock is enough to agree
	// The image built before the lock is now the locked tool's, under its
	// old hash label: gc keeps it, and doctor agrees with ls.
	if r := mustTbx(t, "-f", recipe, "gc", "--images", "-n"); strings.Contains(r.out, "would remove image") {
		t.Errorf("after lock, gc --images would remove the image the tool uses:\n%s", r.out)
	}
	if r := tbx(t, "-f", recipe, "doctor"); !strings.Contains(r.out, "tool copy: ready") {
		t.Errorf("after lock, doctor disagrees with ls (%s):\n%s", onA.State, r.out)
	}
	if b := onB(); onA.Image != b.Image || onA.State != "ready" || b.State != "missing" {
		t.Fatalf("with the base pinned: A %+v, B %+v", onA, b)
	}
	t.Setenv("DOCKER_HOST", bHost)
	// --force: a build, not the tool that lock published to the registry.
	r := mustTbx(t, "-f", recipe, "--progress", "plain", "build", "--force")
	t.Setenv("DOCKER_HOST", "")
	if !strings.Contains(r.err, "as toolbox.lock pins it") || !strings.Contains(r.err, "copy: ready, built") {
		t.Errorf("B builds from the pinned base:\n%s", r.err)
	}
	if e := onB(); e.Image != onA.Image || e.State != "ready" {
		t.Errorf("B built %+v, A has %s", e, onA.Image)
	}
	if made := readFromImage(t, b, onA.Image, project, "/etc/made"); made != "on A\n" {
		t.Errorf("B's image holds %q from its base, want A's pinned base", made)
	}
}

// readFromImage copies path out of a container created (never started)
// from ref.
func readFromImage(t *testing.T, c *client.Client, ref, project, path string) string {
	t.Helper()
	ctx := context.Background()
	created, err := c.ContainerCreate(ctx, &container.Config{Image: ref, Cmd: []string{"/none"}, Labels: map[string]string{labels.Project: project}}, nil, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.ContainerRemove(ctx, created.ID, container.RemoveOptions{Force: true}) }()
	return readFromContainer(t, c, created.ID, path)
}
