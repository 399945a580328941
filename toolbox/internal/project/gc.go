package project

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/tbx-dev/tbx/toolbox/internal/engine"
	"github.com/tbx-dev/tbx/toolbox/internal/exit"
	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/acquire"
	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/gc"
	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/reuse"
	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/runner"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// GCOptions say what gc removes.
type GCOptions struct {
	Warm    bool // only the warm containers
	Images  bool // also the project's images no current tool version uses
	Volumes bool // also the project's volumes no current tool mounts
	All     bool // every project of this user, not only this one
	DryRun  bool
}

// GCReport is what gc removed (or would), and what it kept and why.
type GCReport struct {
	Removed, Kept []gc.Removed
}

// Collect removes what this user's tbx left of the project (or, with All,
// of all their projects): containers whose launcher is gone, and warm
// containers with no run in them. Containers need only the project's
// identity, not its trust: they are this user's own, made by runs the
// user trusted. Images and volumes are judged by the recipe, so they need
// a trusted project.
func Collect(ctx context.Context, s Settings, e engine.Engine, opts GCOptions) (GCReport, error) {
	var rep GCReport
	if opts.All && (opts.Images || opts.Volumes) {
		return rep, exit.Errorf(exit.Failed, "--all removes containers only: images and volumes are judged by one project's recipe; run `tbx gc --images` in each project")
	}
	root, err := ownedRoot(s, opts.All)
	if err != nil {
		return rep, err
	}
	var p *Project
	if opts.Images || opts.Volumes {
		if p, err = Open(s, e); err != nil { // before the Engine is asked anything
			return rep, err
		}
		defer p.Close()
	}
	col := &gc.Collector{Engine: e, Owned: labels.Owned(strconv.Itoa(s.UID), root), Host: s.Host, Alive: gc.ProcessAlive, DryRun: opts.DryRun,
		Runs: func(ctx context.Context, id string) (bool, []string) { return reuse.WarmRuns(ctx, e, id) }}
	if !opts.DryRun {
		markCollected(s, root)
	}
	removed, kept, err := col.Warm(ctx)
	rep.Removed, rep.Kept = removed, kept
	if err == nil && !opts.DryRun {
		forgetSockets(ctx, s, e)
	}
	if err != nil || opts.Warm {
		return rep, err
	}
	removed, err = col.Containers(ctx)
	if rep.Removed = append(rep.Removed, removed...); err != nil || p == nil {
		return rep, err
	}
	removed, err = p.collect(ctx, col, opts)
	rep.Removed = append(rep.Removed, removed...)
	return rep, err
}

// ownedRoot is the identity of the project gc works on: the recipe's
// directory, found as every command finds it; "" with all.
func ownedRoot(s Settings, all bool) (string, error) {
	if all {
		return "", nil
	}
	path, err := RecipePath(s)
	if err != nil {
		return "", fmt.Errorf("%w; `tbx gc --all` works on every project of yours", err)
	}
	return Identity(realPath(filepath.Dir(path))), nil
}

func (p *Project) collect(ctx context.Context, col *gc.Collector, opts GCOptions) ([]gc.Removed, error) {
	var out []gc.Removed
	if opts.Images {
		keep, err := currentImages(ctx, p.manager, p.Recipe.Tools)
		if err != nil {
			return nil, err
		}
		r, err := col.Images(ctx, p.Recipe.Name, keep)
		if out = append(out, r...); err != nil {
			return out, err
		}
	}
	if opts.Volumes {
		r, err := col.Volumes(ctx, p.Recipe.Name, namedVolumes(p.Recipe, p.Key()))
		out = append(out, r...)
		return out, err
	}
	return out, nil
}

// currentImages are the content hashes and image IDs of tools as they are
// now: what gc keeps.
func currentImages(ctx context.Context, m *acquire.Manager, tools []*recipe.Tool) (map[string]bool, error) {
	sts, err := m.Inspect(ctx, tools)
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{}
	for _, st := range sts {
		keep[st.Hash] = true
		if st.ImageID != "" {
			keep[st.ImageID] = true
		}
	}
	return keep, nil
}

// namedVolumes are the Engine's names of r's named volumes, in the
// project of key: what gc keeps.
func namedVolumes(r *recipe.Recipe, key string) map[string]bool {
	keep := map[string]bool{}
	for _, t := range r.Tools {
		for _, v := range t.Run.Volumes {
			if src, _, _ := strings.Cut(v, ":"); !strings.HasPrefix(src, "/") {
				keep[runner.VolumeName(key, src)] = true
			}
		}
	}
	return keep
}

// forgetSockets removes the socket directories of warm containers that no
// longer exist: of every project of this user's, since the directories
// are named by the container's shape alone. A directory made in the last
// minute is kept: its container may be being created.
func forgetSockets(ctx context.Context, s Settings, e engine.Engine) {
	dir := filepath.Join(s.StateDir, "direct")
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		return
	}
	f := filters.NewArgs(filters.Arg("label", labels.Warm), filters.Arg("label", labels.Owner+"="+strconv.Itoa(s.UID)))
	list, err := e.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return
	}
	live := map[string]bool{}
	for _, c := range list {
		live[c.Labels[labels.Warm]] = true
	}
	for _, d := range entries {
		info, err := d.Info()
		if err != nil || live[d.Name()] || time.Since(info.ModTime()) < time.Minute {
			continue
		}
		_ = os.RemoveAll(filepath.Join(dir, d.Name()))
	}
}

// RetireWarm has every warm container and spare of the project, made by
// this user, take no new run and go once none is in it (a run in flight
// ends as it would have): what untrust does, so that nothing of a project
// no longer trusted stays up with its mounts. It returns how many it
// asked.
func RetireWarm(ctx context.Context, s Settings, e engine.Engine) (int, error) {
	root, err := ownedRoot(s, false)
	if err != nil {
		return 0, err
	}
	markCollected(s, root)
	f := labels.Owned(strconv.Itoa(s.UID), root)
	f.Add("label", labels.Warm)
	list, err := e.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return 0, fmt.Errorf("listing the project's warm containers: %w", err)
	}
	reuse.RetireAll(ctx, e, list, "")
	return len(list), nil
}

// markCollected notes that gc or untrust is retiring the warm containers
// of the project whose identity is root ("" for every project of the
// user's): a spare's maker started before then removes what it made
// instead of leaving it up (collectedSince), so that gc wins.
func markCollected(s Settings, root string) {
	if root == "" {
		root = "all"
	}
	dir := filepath.Join(s.StateDir, "collected")
	if os.MkdirAll(dir, 0o700) != nil {
		return
	}
	mark := filepath.Join(dir, root)
	now := time.Now()
	if os.WriteFile(mark, nil, 0o600) == nil {
		_ = os.Chtimes(mark, now, now)
	}
}

// collectedSince reports whether gc or untrust retired the warm
// containers of the project whose identity is root after t.
func collectedSince(s Settings, root string, t time.Time) bool {
	for _, id := range []string{root, "all"} {
		if fi, err := os.Stat(filepath.Join(s.StateDir, "collected", id)); err == nil && fi.ModTime().After(t) {
			return true
		}
	}
	return false
}
