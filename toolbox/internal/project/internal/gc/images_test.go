package gc

import (
	"context"
	"slices"
	"testing"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/volume"

	"github.com/tbx-dev/tbx/toolbox/internal/labels"
)

// stores lists images and volumes only with the owner's filter, and
// records what is removed.
type stores struct {
	Engine
	t       *testing.T
	owned   filters.Args
	images  []image.Summary
	volumes []*volume.Volume
	removed []string
}

func (s *stores) ImageList(_ context.Context, o image.ListOptions) ([]image.Summary, error) {
	if !sameLabels(o.Filters, s.owned) {
		s.t.Errorf("images listed with %v, not the owner's filter", o.Filters.Get("label"))
	}
	return s.images, nil
}

func (s *stores) ImageRemove(_ context.Context, ref string, _ image.RemoveOptions) ([]image.DeleteResponse, error) {
	s.removed = append(s.removed, ref)
	return nil, nil
}

func (s *stores) VolumeList(_ context.Context, o volume.ListOptions) (volume.ListResponse, error) {
	if !sameLabels(o.Filters, s.owned) {
		s.t.Errorf("volumes listed with %v, not the owner's filter", o.Filters.Get("label"))
	}
	return volume.ListResponse{Volumes: s.volumes}, nil
}

func (s *stores) VolumeRemove(_ context.Context, id string, _ bool) error {
	s.removed = append(s.removed, id)
	return nil
}

// sameLabels reports whether a and b filter by the same labels, in any
// order.
func sameLabels(a, b filters.Args) bool {
	x, y := a.Get("label"), b.Get("label")
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// gc --images keeps what a current tool uses, by its hash or by its image
// ID (an image tagged anew after `tbx lock` keeps its older hash label),
// and removes the rest of the user's own; --dry-run removes nothing.
func TestImagesGoUnlessACurrentToolUsesThem(t *testing.T) {
	owned := labels.Owned("1000", "root")
	s := &stores{t: t, owned: owned, images: []image.Summary{
		{ID: "sha256:cur", Labels: map[string]string{labels.Hash: "h1", labels.Tool: "az"}},
		{ID: "sha256:tagged", Labels: map[string]string{labels.Hash: "old", labels.Tool: "jq"}},
		{ID: "sha256:stale", Labels: map[string]string{labels.Hash: "h0", labels.Tool: "az"}},
	}}
	keep := map[string]bool{"h1": true, "sha256:tagged": true}
	c := &Collector{Engine: s, Owned: owned, DryRun: true}
	got, err := c.Images(context.Background(), "p", keep)
	if err != nil || len(got) != 1 || got[0].ID != "sha256:stale" || len(s.removed) != 0 {
		t.Fatalf("dry run: %v %v, removed %v", got, err, s.removed)
	}
	c.DryRun = false
	if _, err := c.Images(context.Background(), "p", keep); err != nil || !slices.Equal(s.removed, []string{"sha256:stale"}) {
		t.Errorf("removed %v, %v", s.removed, err)
	}
}

// gc --volumes removes the user's volumes of the project that no current
// tool mounts.
func TestVolumesGoUnlessACurrentToolMountsThem(t *testing.T) {
	owned := labels.Owned("1000", "root")
	s := &stores{t: t, owned: owned, volumes: []*volume.Volume{{Name: "tbx_p_cache"}, {Name: "tbx_p_old"}}}
	c := &Collector{Engine: s, Owned: owned}
	got, err := c.Volumes(context.Background(), "p", map[string]bool{"tbx_p_cache": true})
	if err != nil || len(got) != 1 || !slices.Equal(s.removed, []string{"tbx_p_old"}) {
		t.Errorf("removed %v (%v), %v", s.removed, got, err)
	}
}
