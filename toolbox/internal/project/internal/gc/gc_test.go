package gc

import (
	"context"
	"slices"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/tbx-dev/tbx/toolbox/internal/labels"
)

// fakeEngine is an Engine whose calls a test stubs one by one; a call it
// did not stub panics on the nil interface, loudly.
type fakeEngine struct {
	Engine
	list    func(container.ListOptions) []container.Summary
	removed []string
	stopped []string
}

func (f *fakeEngine) ContainerList(_ context.Context, o container.ListOptions) ([]container.Summary, error) {
	return f.list(o), nil
}

func (f *fakeEngine) ContainerRemove(_ context.Context, id string, _ container.RemoveOptions) error {
	f.removed = append(f.removed, id)
	return nil
}

func (f *fakeEngine) ContainerStop(_ context.Context, id string, _ container.StopOptions) error {
	f.stopped = append(f.stopped, id)
	return nil
}

func (f *fakeEngine) ContainerWait(context.Context, string, container.WaitCondition) (<-chan container.WaitResponse, <-chan error) {
	done := make(chan container.WaitResponse, 1)
	done <- container.WaitResponse{}
	return done, make(chan error)
}

func summary(id, state, launcher string, warm bool) container.Summary {
	l := map[string]string{labels.Launch: launcher, labels.Project: "p", labels.Tool: "t"}
	if warm {
		l[labels.Warm] = "k"
	}
	return container.Summary{ID: id, State: state, Labels: l}
}

// What gc removes is decided by ownership and by launchers: a container
// whose launcher on this host is gone, or that never ran, goes; one whose
// launcher lives, or that another host launched, stays; warm containers
// are left to Warm.
func TestContainersGoByTheirLaunchers(t *testing.T) {
	alive := map[int]bool{10: true}
	f := &fakeEngine{list: func(o container.ListOptions) []container.Summary {
		if !o.Filters.ExactMatch("label", "mine") {
			t.Error("gc listed without its ownership filter")
		}
		return []container.Summary{
			summary("alive", "running", "10@here", false),
			summary("gone", "running", "11@here", false),
			summary("elsewhere", "running", "12@there", false),
			summary("created", "created", "12@there", false),
			summary("warm", "running", "11@here", true),
		}
	}}
	c := &Collector{Engine: f, Owned: filters.NewArgs(filters.Arg("label", "mine")), Host: "here", Alive: func(pid int) bool { return alive[pid] }}
	removed, err := c.Containers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range removed {
		ids = append(ids, r.ID)
	}
	if want := []string{"gone", "created"}; !slices.Equal(ids, want) || !slices.Equal(f.removed, want) {
		t.Errorf("removed %v (engine %v); want %v", ids, f.removed, want)
	}
	f.removed = nil
	c.DryRun = true
	if _, err := c.Containers(context.Background()); err != nil || len(f.removed) != 0 {
		t.Errorf("a dry run removed %v (%v)", f.removed, err)
	}
}

// A warm container with a run whose launcher lives is kept; one with no
// run, or whose runs' launchers are all gone from this host, is stopped
// (its commands get SIGTERM) and removed.
func TestWarmKeepsOnlyContainersWithLiveRuns(t *testing.T) {
	runs := map[string][]string{"busy": {"10@here"}, "orphaned": {"11@here"}, "remote": {"12@there"}}
	f := &fakeEngine{list: func(container.ListOptions) []container.Summary {
		return []container.Summary{summary("idle", "running", "", true), summary("busy", "running", "", true),
			summary("orphaned", "running", "", true), summary("remote", "running", "", true)}
	}}
	c := &Collector{Engine: f, Host: "here", Alive: func(pid int) bool { return pid == 10 },
		Runs: func(_ context.Context, id string) (bool, []string) { return runs[id] != nil, runs[id] }}
	removed, kept, err := c.Warm(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 2 || len(kept) != 2 || !slices.Equal(f.stopped, []string{"idle", "orphaned"}) {
		t.Errorf("removed %v, kept %v, stopped %v; want idle and orphaned stopped and removed, busy and remote kept", removed, kept, f.stopped)
	}
}
