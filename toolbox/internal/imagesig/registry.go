package imagesig

import (
	"context"

	"github.com/docker/cli/cli/config"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Keychain gives registries the credentials of the Docker client whose
// configuration directory is dir ("" for the client's default), with its
// credential helpers: those `docker login` stored.
func Keychain(dir string) authn.Keychain { return dockerKeychain{dir: dir} }

type dockerKeychain struct{ dir string }

func (k dockerKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	cfg, err := config.Load(k.dir)
	if err != nil {
		return authn.Anonymous, nil
	}
	host := r.RegistryStr()
	if host == name.DefaultRegistry {
		host = "https://index.docker.io/v1/"
	}
	ac, err := cfg.GetAuthConfig(host)
	if err != nil || ac.Username == "" && ac.IdentityToken == "" && ac.RegistryToken == "" {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(authn.AuthConfig{
		Username:      ac.Username,
		Password:      ac.Password,
		Auth:          ac.Auth,
		IdentityToken: ac.IdentityToken,
		RegistryToken: ac.RegistryToken,
	}), nil
}

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
