package acquire

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"

	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/lockfile"
	"github.com/tbx-dev/tbx/toolbox/internal/progress"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// fakeEngine answers image lookups from a fixed list and counts builds;
// every other call panics, as this logic must not make it.
type fakeEngine struct {
	unexpected
	testenv.Images
	builds int
}

// unexpected is every Engine call a fake does not answer: a nil interface,
// so that a call panics. Embedded one level down, it loses to the fake's own.
type unexpected struct{ Engine }

var _ Engine = (*fakeEngine)(nil)

func (f *fakeEngine) ImageBuild(context.Context, io.Reader, build.ImageBuildOptions) (build.ImageBuildResponse, error) {
	f.builds++
	panic("unexpected build")
}

func testRecipe(t *testing.T) *recipe.Recipe {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "img"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "img", "Dockerfile"), []byte("FROM debian:bookworm-slim\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := "[toolbox]\nname = \"p\"\n[tools.built]\nbuild = \"img\"\n[tools.pulled]\nimage = \"127.0.0.1:5000/jq:1.7\"\n"
	r, err := recipe.Parse(filepath.Join(dir, recipe.FileName), recipe.FileName, []byte(src), recipe.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func states(t *testing.T, m *Manager) (built, pulled Status) {
	t.Helper()
	sts, err := m.Inspect(context.Background(), m.Recipe.Tools)
	if err != nil {
		t.Fatal(err)
	}
	return sts[0], sts[1]
}

func TestStates(t *testing.T) {
	r := testRecipe(t)
	base := image.Summary{ID: "sha256:base", RepoTags: []string{"debian:bookworm-slim"}}
	f := &fakeEngine{}
	m := New(Config{Engine: f, Recipe: r, Mode: progress.Plain, BuildsDir: t.TempDir(), Registry: "reg.example"})

	built, pulled := states(t, m)
	if built.State != Missing || pulled.State != Missing || len(built.Missing) != 1 {
		t.Fatalf("empty Engine: %+v %+v", built, pulled)
	}

	f.List = []image.Summary{base, {ID: "sha256:old", Labels: map[string]string{labels.Project: "p", labels.Tool: "built"}}}
	if built, _ = states(t, m); built.State != Stale || len(built.Missing) != 0 {
		t.Fatalf("an older image: %+v", built)
	}

	f.List = append(f.List,
		image.Summary{ID: "sha256:new", RepoTags: []string{built.Ref}},
		image.Summary{ID: "sha256:jq", RepoTags: []string{"127.0.0.1:5000/jq:1.7"}})
	built, pulled = states(t, m)
	if built.State != Foreign || pulled.State != Ready {
		t.Fatalf("an image tbx did not build, under the built tool's tag: %+v %+v", built, pulled)
	}
	m.builds().recordBuilt("sha256:new", "another hash")
	if built, _ = states(t, m); built.State != Foreign {
		t.Fatalf("an image built here from other inputs: %+v", built)
	}
	m.builds().recordBuilt("sha256:new", built.Hash)
	built, pulled = states(t, m)
	if built.State != Ready || !built.BuiltHere || built.ImageID != "sha256:new" || pulled.State != Ready {
		t.Fatalf("current images: %+v %+v", built, pulled)
	}
	if _, err := m.Ensure(context.Background(), r.Tools[0], false); err != nil || f.builds != 0 {
		t.Fatalf("Ensure of a ready tool: builds %d, err %v", f.builds, err)
	}
}

// An image the team registry served (the Engine knows it by a digest in
// the tool's repository there) is the tool's without a record of a build.
func TestAnImageFromTheTeamRegistryIsReady(t *testing.T) {
	r := testRecipe(t)
	f := &fakeEngine{Images: testenv.Images{List: []image.Summary{{ID: "sha256:base", RepoTags: []string{"debian:bookworm-slim"}}}}}
	m := New(Config{Engine: f, Recipe: r, Mode: progress.Plain, BuildsDir: t.TempDir(), Registry: "reg.example"})
	built, _ := states(t, m)
	d := "sha256:" + strings.Repeat("d", 64)
	for repo, want := range map[string]State{"reg.example/p/built": Ready, "reg.example/p/other": Foreign} {
		f.List = append(f.List[:1], image.Summary{ID: "sha256:pulled", RepoTags: []string{built.Ref}, RepoDigests: []string{repo + "@" + d}})
		if got, _ := states(t, New(m.Config)); got.State != want || got.BuiltHere {
			t.Errorf("an image known as %s@…: %s, want %s", repo, got.State, want)
		}
	}
}

func TestBaseIDIsPartOfIdentity(t *testing.T) {
	r := testRecipe(t)
	f := &fakeEngine{Images: testenv.Images{List: []image.Summary{{ID: "sha256:one", RepoTags: []string{"debian:bookworm-slim"}}}}}
	m := New(Config{Engine: f, Recipe: r, Mode: progress.Plain})
	first, _ := states(t, m)
	f.List[0].ID = "sha256:two"
	second, _ := states(t, m)
	if first.Ref == second.Ref {
		t.Error("a new base image ID kept the tag")
	}
}

// Publishing a base made here changes no tool's hash: the lock keeps the
// image ID it had, which stays its identity, so `tbx lock` after `prepare
// --push` finds every tool pushed already, under the same tag.
func TestAPublishedBaseKeepsItsIdentity(t *testing.T) {
	r := testRecipe(t)
	f := &fakeEngine{Images: testenv.Images{List: []image.Summary{{ID: "sha256:one", RepoTags: []string{"debian:bookworm-slim"}}}}}
	before, _ := states(t, New(Config{Engine: f, Recipe: r, Mode: progress.Plain}))
	d := "sha256:" + strings.Repeat("d", 64)
	published := &lockfile.Lock{Bases: map[string]lockfile.Base{"debian:bookworm-slim": {Digest: d, Image: "reg/base/debian@" + d, ID: "sha256:one"}}}
	after, _ := states(t, New(Config{Engine: f, Recipe: r, Mode: progress.Plain, Lock: published}))
	if after.Hash != before.Hash {
		t.Errorf("publishing the base changed the tool's hash: %s → %s", before.Hash[:12], after.Hash[:12])
	}
	pulled := &lockfile.Lock{Bases: map[string]lockfile.Base{"debian:bookworm-slim": {Digest: d, Image: "docker.io/library/debian@" + d}}}
	if other, _ := states(t, New(Config{Engine: f, Recipe: r, Mode: progress.Plain, Lock: pulled})); other.Hash == before.Hash {
		t.Error("a base pinned by its registry digest alone kept the local image's identity")
	}
}
