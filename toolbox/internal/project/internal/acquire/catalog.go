package acquire

import (
	"context"
	"fmt"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"

	"github.com/tbx-dev/tbx/toolbox/internal/labels"
)

// catalog is what the Engine has of the images tbx asks about: each looked
// up by its exact reference, once, so that what a command costs does not
// grow with the number of images on the Engine.
type catalog struct {
	ctx     context.Context
	e       Engine
	project string

	mu      sync.Mutex
	byRef   map[string]string   // normalized reference → image ID ("" when the Engine has none)
	digests map[string][]string // image ID → its repository@digest references
	byTool  map[string]bool     // tools of the project with some tbx image; nil until listed
	err     error               // the first lookup that failed other than "not found"
}

func newCatalog(ctx context.Context, e Engine, project string) *catalog {
	return &catalog{ctx: ctx, e: e, project: project, byRef: map[string]string{}, digests: map[string][]string{}}
}

// failed is the first lookup that failed for another reason than a
// missing image.
func (c *catalog) failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// resolve gives the ID of the image ref names, if the Engine has it.
func (c *catalog) resolve(ref string) (string, bool) {
	n, ok := normalize(ref)
	if !ok {
		return "", false
	}
	c.mu.Lock()
	id, seen := c.byRef[n]
	c.mu.Unlock()
	if seen {
		return id, id != ""
	}
	im, err := c.e.ImageInspect(c.ctx, ref)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err == nil:
		c.byRef[n], c.digests[im.ID] = im.ID, im.RepoDigests
	case cerrdefs.IsNotFound(err):
		c.byRef[n] = ""
	case c.err == nil:
		c.err = fmt.Errorf("looking up image %s: %w", ref, err)
	}
	return c.byRef[n], c.byRef[n] != ""
}

// remember records that ref names image id, known under digested.
func (c *catalog) remember(ref, id, digested string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := normalize(ref); ok {
		c.byRef[n] = id
	}
	c.digests[id] = append(c.digests[id], digested)
}

// hasTool reports whether the project's tool has some tbx image on the
// Engine: one listing filtered by the project's label, whatever else the
// Engine holds.
func (c *catalog) hasTool(tool string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byTool == nil {
		c.byTool = map[string]bool{}
		list, err := c.e.ImageList(c.ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("label", labels.Project+"="+c.project))})
		if err != nil && c.err == nil {
			c.err = fmt.Errorf("listing the project's images: %w", err)
		}
		for _, im := range list {
			c.byTool[im.Labels[labels.Tool]] = true
		}
	}
	return c.byTool[tool]
}

// repoDigest is the registry digest image id has in ref's repository: what
// it was pulled as. "" for an image that never came from there.
func (c *catalog) repoDigest(id, ref string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ""
	}
	if ds := digestsIn(c.repoDigests(id), named.Name()); len(ds) > 0 {
		return ds[0]
	}
	return ""
}

// digestsIn are the digests of the repository@digest references refs
// (an image's RepoDigests) that are in repository repo, in their order.
func digestsIn(refs []string, repo string) []string {
	var out []string
	for _, rd := range refs {
		if d, err := reference.ParseNormalizedNamed(rd); err == nil && d.Name() == repo {
			if dg, ok := d.(reference.Digested); ok {
				out = append(out, dg.Digest().String())
			}
		}
	}
	return out
}

// hasDigest reports whether image id is known under digest in any repository.
func (c *catalog) hasDigest(id, digest string) bool {
	for _, rd := range c.repoDigests(id) {
		if d, err := reference.ParseNormalizedNamed(rd); err == nil {
			if dg, ok := d.(reference.Digested); ok && dg.Digest().String() == digest {
				return true
			}
		}
	}
	return false
}

func (c *catalog) repoDigests(id string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.digests[id]
}

// normalize spells a reference fully: registry, path and tag (latest when
// none) or digest, so that "debian" and "docker.io/library/debian:latest" meet.
func normalize(ref string) (string, bool) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", false
	}
	return reference.TagNameOnly(named).String(), true
}
