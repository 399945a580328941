package testenv

import (
	"context"
	"strings"

	"github.com/distribution/reference"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
)

// Images is the image part of a fake Engine for pure-logic tests: it
// answers the listing (with its label filters) and the lookup by reference
// from List.
type Images struct {
	List []image.Summary
}

// ImageList lists the images whose labels match every label filter.
func (f *Images) ImageList(_ context.Context, opts image.ListOptions) ([]image.Summary, error) {
	var out []image.Summary
	for _, im := range f.List {
		if matchesLabels(im.Labels, opts.Filters.Get("label")) {
			out = append(out, im)
		}
	}
	return out, nil
}

// ImageInspect finds the image a tag or digest reference names.
func (f *Images) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	want, ok := normalized(ref)
	for _, im := range f.List {
		for _, r := range append(append([]string{}, im.RepoTags...), im.RepoDigests...) {
			if n, _ := normalized(r); ok && n == want {
				return image.InspectResponse{ID: im.ID, RepoTags: im.RepoTags, RepoDigests: im.RepoDigests}, nil
			}
		}
	}
	return image.InspectResponse{}, errdefs.NotFound(errNoSuchImage(ref))
}

type errNoSuchImage string

func (e errNoSuchImage) Error() string { return "No such image: " + string(e) }

func normalized(ref string) (string, bool) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", false
	}
	return reference.TagNameOnly(named).String(), true
}

func matchesLabels(have map[string]string, want []string) bool {
	for _, w := range want {
		k, v, hasValue := strings.Cut(w, "=")
		got, ok := have[k]
		if !ok || hasValue && got != v {
			return false
		}
	}
	return true
}
