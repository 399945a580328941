package acquire

import (
	"github.com/distribution/reference"
	"github.com/docker/cli/cli/config"
	"github.com/docker/docker/api/types/registry"
)

// registryAuth encodes the user's credentials for ref's registry, read from
// the Docker config (~/.docker/config.json, DOCKER_CONFIG) and its credential
// helpers; "" when there are none.
func (m team) registryAuth(ref string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ""
	}
	host := reference.Domain(named)
	if host == "docker.io" {
		host = "https://index.docker.io/v1/"
	}
	cfg, err := config.Load(m.DockerConfig)
	if err != nil {
		return ""
	}
	ac, err := cfg.GetAuthConfig(host)
	if err != nil || ac.Username == "" && ac.IdentityToken == "" && ac.RegistryToken == "" {
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
