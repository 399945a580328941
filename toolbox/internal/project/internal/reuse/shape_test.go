package reuse

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/tbx-dev/tbx/toolbox/internal/helperspec"
	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/runner"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// shapeOf is the warm container (or spare, once) for a run of image in
// cwd, with the helper binary bin.
func shapeOf(t *testing.T, bin, image, cwd, idle string, once bool) *warmContainer {
	t.Helper()
	inv := runner.Invocation{Project: "p", Key: "p-abc", Tool: &recipe.Tool{Name: "box"}, Image: image, Cwd: cwd,
		Direct: "/state/direct", Identity: runner.Identity{UID: 1000, GID: 1000},
		Labels: map[string]string{labels.Owner: "1000", labels.Root: "root-id"}}
	cfg := &container.Config{Image: image, WorkingDir: cwd}
	host := &container.HostConfig{}
	w, err := warmShape(inv, cfg, host, helperspec.Spec{Idle: idle, Once: once}, bin)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// A warm container's name is its shape: the image (by ID), the helper
// binary and the idle time each make another, the caller's working
// directory does not (one container, or spare, serves the whole project).
func TestAWarmContainersNameIsItsShape(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "tbx-warm")
	if err := os.WriteFile(bin, []byte("helper"), 0o755); err != nil {
		t.Fatal(err)
	}
	base := shapeOf(t, bin, "sha256:1", "/work", "5m", false)
	if !strings.HasPrefix(base.name, "tbx-warm-p-abc-box-") || base.dir != filepath.Join("/state/direct", strings.TrimPrefix(base.name, "tbx-warm-p-abc-box-")) {
		t.Errorf("name %s, socket dir %s", base.name, base.dir)
	}
	if other := shapeOf(t, bin, "sha256:1", "/work/docs", "5m", false); other.name != base.name {
		t.Errorf("another working directory made another container: %s", other.name)
	}
	for what, w := range map[string]*warmContainer{
		"another image":     shapeOf(t, bin, "sha256:2", "/work", "5m", false),
		"another idle time": shapeOf(t, bin, "sha256:1", "/work", "1m", false),
	} {
		if w.name == base.name {
			t.Errorf("%s kept the name %s", what, base.name)
		}
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(bin, later, later); err != nil {
		t.Fatal(err)
	}
	if w := shapeOf(t, bin, "sha256:1", "/work", "5m", false); w.name == base.name {
		t.Error("a new helper binary kept the container")
	}
	spare := shapeOf(t, bin, "sha256:1", "/work", "5m", true)
	if !strings.HasPrefix(spare.name, "tbx-spare-") || spare.cfg.Labels[labels.Spare] != "1" {
		t.Errorf("a spare is named %s, labelled %v", spare.name, spare.cfg.Labels)
	}
}

// The helper runs as root with state only root writes, the helper binary
// read-only, and the socket's directory mounted where no command reaches.
func TestAWarmContainerIsSealed(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "tbx-warm")
	if err := os.WriteFile(bin, []byte("helper"), 0o755); err != nil {
		t.Fatal(err)
	}
	w := shapeOf(t, bin, "sha256:1", "/work", "5m", false)
	if w.cfg.User != "0:0" || !w.host.AutoRemove || w.host.Init == nil || *w.host.Init {
		t.Errorf("user %q, auto-remove %v, init %v", w.cfg.User, w.host.AutoRemove, w.host.Init)
	}
	if st := w.host.Tmpfs[helperspec.State]; !strings.Contains(st, "mode=0755") {
		t.Errorf("the state tmpfs: %q; no command may write what decides a later run", st)
	}
	var helper, socket bool
	for _, m := range w.host.Mounts {
		helper = helper || m.Source == bin && m.Target == helperspec.BinPath && m.ReadOnly
		socket = socket || m.Source == w.dir && m.Target == helperspec.Direct
	}
	if !helper || !socket {
		t.Errorf("mounts %+v: helper read-only %v, socket dir %v", w.host.Mounts, helper, socket)
	}
}

// retirer records what it is asked to do.
type retirer struct {
	killed, removed []string
}

func (r *retirer) ContainerKill(_ context.Context, id, signal string) error {
	if signal != helperspec.Retire {
		return nil
	}
	r.killed = append(r.killed, id)
	return nil
}

func (r *retirer) ContainerRemove(_ context.Context, id string, _ container.RemoveOptions) error {
	r.removed = append(r.removed, id)
	return nil
}

// Retiring asks running containers to go once no run is in them (never
// ends a run), removes those that never started or stopped, leaves those
// being removed and the one to keep.
func TestRetireAllEndsNoRun(t *testing.T) {
	var r retirer
	list := []container.Summary{
		{ID: "a", Names: []string{"/tbx-spare-a"}, State: "running"},
		{ID: "keep", Names: []string{"/tbx-spare-keep"}, State: "running"},
		{ID: "c", Names: []string{"/tbx-spare-c"}, State: "created"},
		{ID: "d", Names: []string{"/tbx-spare-d"}, State: "exited"},
		{ID: "e", Names: []string{"/tbx-spare-e"}, State: "removing"},
	}
	asked := RetireAll(context.Background(), &r, list, "tbx-spare-keep")
	if !slices.Equal(asked, []string{"a"}) || !slices.Equal(r.killed, []string{"a"}) || !slices.Equal(r.removed, []string{"c", "d"}) {
		t.Errorf("asked %v, retired %v, removed %v", asked, r.killed, r.removed)
	}
}

// staleLister lists spares, recording the filters it was asked with.
type staleLister struct {
	Engine
	retirer
	asked []filters.Args
	list  []container.Summary
}

func (s *staleLister) ContainerList(_ context.Context, o container.ListOptions) ([]container.Summary, error) {
	s.asked = append(s.asked, o.Filters)
	return s.list, nil
}

func (s *staleLister) ContainerKill(ctx context.Context, id, signal string) error {
	return s.retirer.ContainerKill(ctx, id, signal)
}

func (s *staleLister) ContainerRemove(ctx context.Context, id string, o container.RemoveOptions) error {
	return s.retirer.ContainerRemove(ctx, id, o)
}

// A new spare's maker retires only this user's spares of this project's
// identity and tool, never by the project's name; with no identity to
// match by, it retires none.
func TestStaleSparesAreMatchedByIdentity(t *testing.T) {
	e := &staleLister{list: []container.Summary{{ID: "old", Names: []string{"/tbx-spare-old"}, State: "exited"}}}
	r := &Runner{Runner: &runner.Runner{}, Engine: e}
	inv := runner.Invocation{Project: "p", Tool: &recipe.Tool{Name: "box"}, Labels: map[string]string{labels.Owner: "1000", labels.Root: "root-id"}}
	r.retireStaleSpares(context.Background(), inv, &warmContainer{name: "tbx-spare-new"})
	if len(e.asked) != 1 {
		t.Fatalf("listed %d times", len(e.asked))
	}
	f := e.asked[0]
	for _, want := range []string{labels.Owner + "=1000", labels.Root + "=root-id", labels.Spare, labels.Tool + "=box"} {
		if !f.ExactMatch("label", want) {
			t.Errorf("listed without the label %s: %v", want, f.Get("label"))
		}
	}
	if f.ExactMatch("label", labels.Project+"=p") {
		t.Error("listed by the project's name, which another checkout shares")
	}
	if !slices.Equal(e.removed, []string{"old"}) {
		t.Errorf("removed %v", e.removed)
	}
	e.asked = nil
	inv.Labels = map[string]string{labels.Owner: "1000"}
	r.retireStaleSpares(context.Background(), inv, &warmContainer{name: "tbx-spare-new"})
	if len(e.asked) != 0 {
		t.Error("with no project identity, spares were listed to retire")
	}
}
