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
	byRef  map[string]string // normalized tag or digest reference → image ID
	byTool map[string]bool   // project/tool pairs that have some tbx image
}

func readCatalog(ctx context.Context, e engine.Engine) (*catalog, error) {
	list, err := e.ImageList(ctx, image.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	c := &catalog{byRef: map[string]string{}, byTool: map[string]bool{}}
	for _, im := range list {
		for _, ref := range append(append([]string{}, im.RepoTags...), im.RepoDigests...) {
			if n, ok := normalize(ref); ok {
				c.byRef[n] = im.ID
			}
		}
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

// normalize spells a reference fully: registry, path and tag (latest when
// none) or digest, so that "debian" and "docker.io/library/debian:latest" meet.
func normalize(ref string) (string, bool) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", false
	}
	return reference.TagNameOnly(named).String(), true
}
