package acquire

import (
	"context"
	"errors"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

// lookups is an Engine that counts image lookups; any other call panics
// on the nil interface, loudly.
type lookups struct {
	Engine
	images    map[string]image.InspectResponse // by reference as asked
	broken    error                            // what every other lookup fails with; nil: not found
	inspected map[string]int
}

func (f *lookups) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	f.inspected[ref]++
	if im, ok := f.images[ref]; ok {
		return im, nil
	}
	if f.broken != nil {
		return image.InspectResponse{}, f.broken
	}
	return image.InspectResponse{}, cerrdefs.ErrNotFound
}

// The catalog asks the Engine once per image, found or not, and knows the
// two spellings of one reference as one; a missing image is no failure.
func TestCatalogAsksOncePerImage(t *testing.T) {
	f := &lookups{inspected: map[string]int{}, images: map[string]image.InspectResponse{
		"tbx/p/az:abc": {ID: "sha256:1", RepoDigests: []string{"reg.example/p/az@sha256:" + strings.Repeat("d", 64)}},
	}}
	c := newCatalog(context.Background(), f, "p")
	for range 3 {
		if id, ok := c.resolve("tbx/p/az:abc"); !ok || id != "sha256:1" {
			t.Fatalf("resolve: %q %v", id, ok)
		}
		if _, ok := c.resolve("docker.io/tbx/p/jq:abc"); ok {
			t.Fatal("a missing image resolved")
		}
		_, _ = c.resolve("tbx/p/jq:abc")
	}
	if f.inspected["tbx/p/az:abc"] != 1 || f.inspected["docker.io/tbx/p/jq:abc"]+f.inspected["tbx/p/jq:abc"] != 1 {
		t.Errorf("lookups: %v, want one per image", f.inspected)
	}
	if c.failed() != nil {
		t.Errorf("a missing image failed the catalog: %v", c.failed())
	}
	if d := c.repoDigest("sha256:1", "reg.example/p/az:v1"); d != "sha256:"+strings.Repeat("d", 64) {
		t.Errorf("repoDigest: %q", d)
	}
	if d := c.repoDigest("sha256:1", "other.example/p/az:v1"); d != "" {
		t.Errorf("a digest of another repository: %q", d)
	}
}

// An Engine that fails otherwise than "not found" is reported, once,
// naming the image; the image counts as absent.
func TestCatalogReportsABrokenEngine(t *testing.T) {
	f := &lookups{inspected: map[string]int{}, broken: errors.New("connection reset")}
	c := newCatalog(context.Background(), f, "p")
	if _, ok := c.resolve("tbx/p/az:abc"); ok {
		t.Error("resolved on a broken Engine")
	}
	_, _ = c.resolve("tbx/p/jq:abc")
	if err := c.failed(); err == nil || !strings.Contains(err.Error(), "tbx/p/az:abc") {
		t.Errorf("failed: %v", err)
	}
}
