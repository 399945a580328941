package imagesig

import (
	"context"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Resolve gives the manifest digest a tag (or digest) reference names in
// its registry, without fetching the image.
func Resolve(ctx context.Context, ref string, opts ...remote.Option) (name.Digest, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return name.Digest{}, err
	}
	if d, ok := r.(name.Digest); ok {
		return d, nil
	}
	desc, err := remote.Head(r, append(opts, remote.WithContext(ctx))...)
	if err != nil {
		return name.Digest{}, &RegistryError{Op: "resolving", Ref: ref, Err: err}
	}
	return r.Context().Digest(desc.Digest.String()), nil
}
