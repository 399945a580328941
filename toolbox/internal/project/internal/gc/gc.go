// Package gc removes what tbx left on the Engine: containers whose launcher
// died without cleaning up, and images and volumes no current recipe uses.
// It acts only on the objects its filter selects: by default those of one
// project, made by one user.
package gc

import (
	"context"

	"fmt"
	cerrdefs "github.com/containerd/errdefs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/volume"

	"github.com/tbx-dev/tbx/toolbox/internal/engine"
	"github.com/tbx-dev/tbx/toolbox/internal/labels"
)

// Removed is one object gc removed (or would remove, in a dry run).
type Removed struct {
	Kind, ID, Project, Tool, Why string
}

func (r Removed) String() string {
	return fmt.Sprintf("%s %s (project %s, tool %s): %s", r.Kind, short(r.ID), r.Project, r.Tool, r.Why)
}

func short(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// Engine is what gc asks of the Engine: to list and remove containers,
// images and volumes, and to stop a warm container.
type Engine interface {
	ContainerList(ctx context.Context, options container.ListOptions) ([]container.Summary, error)
	ContainerStop(ctx context.Context, id string, options container.StopOptions) error
	ContainerWait(ctx context.Context, id string, condition container.WaitCondition) (<-chan container.WaitResponse, <-chan error)
	ContainerRemove(ctx context.Context, id string, options container.RemoveOptions) error
	ImageList(ctx context.Context, options image.ListOptions) ([]image.Summary, error)
	ImageRemove(ctx context.Context, ref string, options image.RemoveOptions) ([]image.DeleteResponse, error)
	VolumeList(ctx context.Context, options volume.ListOptions) (volume.ListResponse, error)
	VolumeRemove(ctx context.Context, id string, force bool) error
}

var _ Engine = engine.Engine(nil)

// Collector removes tbx's leftovers.
type Collector struct {
	Engine Engine
	Owned  filters.Args   // which objects are ours: labels.Owned
	Host   string         // this machine's hostname, to judge launchers
	Alive  func(int) bool // whether a local pid is running
	// Runs reports whether a warm container has runs in it, and the
	// launchers (pid@host) of those runs; one with a run whose launcher is
	// alive is kept.
	Runs   func(ctx context.Context, id string) (busy bool, launchers []string)
	DryRun bool
}

// ProcessAlive reports whether pid runs on this machine.
func ProcessAlive(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}

// Containers removes tbx containers of every project whose launcher on this
// host is gone, and any that never started or already stopped.
func (c *Collector) Containers(ctx context.Context) ([]Removed, error) {
	list, err := c.Engine.ContainerList(ctx, container.ListOptions{All: true, Filters: c.Owned})
	if err != nil {
		return nil, fmt.Errorf("listing containers: %w", err)
	}
	var out []Removed
	for _, ct := range list {
		if ct.Labels[labels.Warm] != "" {
			continue // Warm's to remove
		}
		why := c.orphaned(ct)
		if why == "" {
			continue
		}
		r := Removed{Kind: "container", ID: ct.ID, Project: ct.Labels[labels.Project], Tool: ct.Labels[labels.Tool], Why: why}
		if !c.DryRun {
			if err := c.Engine.ContainerRemove(ctx, ct.ID, container.RemoveOptions{Force: true}); err != nil {
				return out, fmt.Errorf("removing container %s: %w", short(ct.ID), err)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// Warm removes the warm containers the filter selects, except those with a
// run in them: those are listed as kept.
func (c *Collector) Warm(ctx context.Context) (removed, kept []Removed, err error) {
	f := c.Owned.Clone()
	f.Add("label", labels.Warm)
	list, err := c.Engine.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return nil, nil, fmt.Errorf("listing warm containers: %w", err)
	}
	for _, ct := range list {
		kind := "warm"
		if ct.Labels[labels.Spare] != "" {
			kind = "spare"
		}
		r := Removed{Kind: "container", ID: ct.ID, Project: ct.Labels[labels.Project], Tool: ct.Labels[labels.Tool], Why: kind}
		if ct.State == "running" && c.Runs != nil {
			if busy, launchers := c.Runs(ctx, ct.ID); busy {
				if c.anyAlive(launchers) {
					r.Why = kind + ", with a run in it: kept (it stops itself when idle)"
					kept = append(kept, r)
					continue
				}
				r.Why = kind + ", with runs whose launchers are gone"
			}
		}
		if !c.DryRun {
			err := c.stopWarm(ctx, ct)
			if err != nil && !cerrdefs.IsNotFound(err) && !cerrdefs.IsConflict(err) {
				return removed, kept, fmt.Errorf("removing warm container %s: %w", short(ct.ID), err)
			}
		}
		removed = append(removed, r)
	}
	return removed, kept, nil
}

// stopGrace is how long a command in a warm container that gc removes has
// to end after its SIGTERM, as docker stop gives it.
const stopGrace = 10

// stopWarm ends a warm container as docker stop does: its helper gives
// each command SIGTERM and the grace time before the Engine's SIGKILL. The
// container removes itself, and gc waits for that; what is left is removed.
func (c *Collector) stopWarm(ctx context.Context, ct container.Summary) error {
	if ct.State == "running" {
		wctx, cancel := context.WithTimeout(ctx, time.Duration(stopGrace+5)*time.Second)
		defer cancel()
		gone, failed := c.Engine.ContainerWait(wctx, ct.ID, container.WaitConditionRemoved)
		grace := stopGrace
		if err := c.Engine.ContainerStop(ctx, ct.ID, container.StopOptions{Timeout: &grace}); err != nil {
			return err
		}
		select {
		case <-gone:
		case <-failed:
		}
	}
	err := c.Engine.ContainerRemove(ctx, ct.ID, container.RemoveOptions{Force: true})
	if cerrdefs.IsNotFound(err) {
		return nil
	}
	return err
}

// anyAlive reports whether one of launchers (pid@host) may still be at
// work: alive on this host, or on another, which is not ours to judge. A
// run of an older helper names no launcher, and is taken as alive.
func (c *Collector) anyAlive(launchers []string) bool {
	if len(launchers) == 0 {
		return true
	}
	for _, l := range launchers {
		pid, host, _ := strings.Cut(l, "@")
		n, err := strconv.Atoi(pid)
		if err != nil || host != c.Host || c.Alive(n) {
			return true
		}
	}
	return false
}

func (c *Collector) orphaned(ct container.Summary) string {
	pid, host, _ := strings.Cut(ct.Labels[labels.Launch], "@")
	n, err := strconv.Atoi(pid)
	local := err == nil && host == c.Host
	switch {
	case local && c.Alive(n):
		return "" // its tbx is still at work (it may be about to start it)
	case ct.State != "running" && ct.State != "removing":
		return "not running (" + ct.State + ")"
	case !local:
		return "" // launched elsewhere: not ours to judge
	}
	return "its launcher (pid " + pid + ") is gone"
}

// Images removes project's images that no current tool uses: keep holds
// the current tools' content hashes and image IDs (an image tagged as a
// tool's current one keeps its older hash label after `tbx lock`).
func (c *Collector) Images(ctx context.Context, project string, keep map[string]bool) ([]Removed, error) {
	list, err := c.Engine.ImageList(ctx, image.ListOptions{Filters: c.Owned})
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	var out []Removed
	for _, im := range list {
		if keep[im.Labels[labels.Hash]] || keep[im.ID] {
			continue
		}
		r := Removed{Kind: "image", ID: im.ID, Project: project, Tool: im.Labels[labels.Tool], Why: "no current recipe version uses it"}
		if !c.DryRun {
			if _, err := c.Engine.ImageRemove(ctx, im.ID, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil {
				return out, fmt.Errorf("removing image %s: %w", short(im.ID), err)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// Volumes removes project's volumes that no current tool mounts.
func (c *Collector) Volumes(ctx context.Context, project string, keep map[string]bool) ([]Removed, error) {
	list, err := c.Engine.VolumeList(ctx, volume.ListOptions{Filters: c.Owned})
	if err != nil {
		return nil, fmt.Errorf("listing volumes: %w", err)
	}
	var out []Removed
	for _, v := range list.Volumes {
		if keep[v.Name] {
			continue
		}
		r := Removed{Kind: "volume", ID: v.Name, Project: project, Tool: v.Labels[labels.Tool], Why: "no current tool mounts it"}
		if !c.DryRun {
			if err := c.Engine.VolumeRemove(ctx, v.Name, false); err != nil {
				return out, fmt.Errorf("removing volume %s: %w", v.Name, err)
			}
		}
		out = append(out, r)
	}
	return out, nil
}
