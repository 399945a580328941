package acquire

import (
	"context"
	"fmt"

	"github.com/distribution/reference"
	"github.com/docker/docker/api/types/image"

	"github.com/tbx-dev/tbx/toolbox/engine"
	"github.com/tbx-dev/tbx/toolbox/labels"
)

// catalog is what images the Engine has, read in one call.
type catalog struct {
	byRef   map[string]string   // normalized tag or digest reference → image ID
	byTool  map[string]bool     // project/tool pairs that have some tbx image
	digests map[string][]string // image ID → its repository@digest references
}

func readCatalog(ctx context.Context, e engine.Engine) (*catalog, error) {
	list, err := e.ImageList(ctx, image.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	c := &catalog{byRef: map[string]string{}, byTool: map[string]bool{}, digests: map[string][]string{}}
	for _, im := range list {
		for _, ref := range append(append([]string{}, im.RepoTags...), im.RepoDigests...) {
			if n, ok := normalize(ref); ok {
				c.byRef[n] = im.ID
			}
		}
		c.digests[im.ID] = im.RepoDigests
		if p, ok := im.Labels[labels.Project]; ok {
			c.byTool[p+"/"+im.Labels[labels.Tool]] = true
		}
	}
	return c, nil
}

// resolve gives the ID of the image ref names, if the Engine has it.
func (c *catalog) resolve(ref string) (string, bool) {
	n, ok := normalize(ref)
	if !ok {
		return "", false
	}
	id, ok := c.byRef[n]
	return id, ok
}

// repoDigest is the registry digest image id has in ref's repository: what
// it was pulled as. "" for an image that never came from there.
func (c *catalog) repoDigest(id, ref string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ""
	}
	for _, rd := range c.digests[id] {
		if d, err := reference.ParseNormalizedNamed(rd); err == nil && d.Name() == named.Name() {
			if dg, ok := d.(reference.Digested); ok {
				return dg.Digest().String()
			}
		}
	}
	return ""
}

// hasDigest reports whether image id is known under digest in any repository.
func (c *catalog) hasDigest(id, digest string) bool {
	for _, rd := range c.digests[id] {
		if d, err := reference.ParseNormalizedNamed(rd); err == nil {
			if dg, ok := d.(reference.Digested); ok && dg.Digest().String() == digest {
				return true
			}
		}
	}
	return false
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
