package acquire

import (
	"github.com/distribution/reference"
	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/types"
	"github.com/docker/docker/api/types/registry"
	"github.com/google/go-containerregistry/pkg/authn"
)

// credentials are the user's credentials for the registry host, as
// `docker login` stored them in the Docker config (~/.docker/config.json,
// DOCKER_CONFIG) or its credential helpers; false when there are none.
func credentials(dockerConfig, host string) (types.AuthConfig, bool) {
	if host == "docker.io" || host == "index.docker.io" {
		host = "https://index.docker.io/v1/"
	}
	cfg, err := config.Load(dockerConfig)
	if err != nil {
		return types.AuthConfig{}, false
	}
	ac, err := cfg.GetAuthConfig(host)
	if err != nil || ac.Username == "" && ac.IdentityToken == "" && ac.RegistryToken == "" {
		return types.AuthConfig{}, false
	}
	return ac, true
}

// registryAuth encodes the user's credentials for ref's registry, for the
// Engine's pulls and pushes; "" when there are none.
func (m team) registryAuth(ref string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ""
	}
	ac, ok := credentials(m.DockerConfig, reference.Domain(named))
	if !ok {
		return ""
	}
	enc, err := registry.EncodeAuthConfig(registry.AuthConfig{
		Username:      ac.Username,
		Password:      ac.Password,
		Auth:          ac.Auth,
		ServerAddress: ac.ServerAddress,
		IdentityToken: ac.IdentityToken,
		RegistryToken: ac.RegistryToken,
	})
	if err != nil {
		return ""
	}
	return enc
}

// keychain gives go-containerregistry, which reads and writes signatures,
// the same credentials as the Engine's pulls and pushes.
type keychain struct{ dockerConfig string }

func (k keychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	ac, ok := credentials(k.dockerConfig, r.RegistryStr())
	if !ok {
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
