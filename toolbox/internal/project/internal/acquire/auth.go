package acquire

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/types"
	"github.com/docker/docker/api/types/registry"
	"github.com/google/go-containerregistry/pkg/authn"
)

// credentials are the user's credentials for the registry host, as
// `docker login` stored them in the Docker config (~/.docker/config.json,
// DOCKER_CONFIG) or its credential helpers; false when there are none. A
// config that cannot be read, or a credential helper that cannot be run,
// is an error naming it, as the docker CLI fails then too: never a silent
// anonymous request.
func credentials(dockerConfig, host string) (types.AuthConfig, bool, error) {
	if host == "docker.io" || host == "index.docker.io" {
		host = "https://index.docker.io/v1/"
	}
	cfg, err := config.Load(dockerConfig)
	if err != nil {
		return types.AuthConfig{}, false, fmt.Errorf("reading the Docker config: %w", err)
	}
	ac, err := cfg.GetAuthConfig(host)
	if err != nil {
		return types.AuthConfig{}, false, helperError(cfg, host, err)
	}
	if ac.Username == "" && ac.IdentityToken == "" && ac.RegistryToken == "" {
		return types.AuthConfig{}, false, nil
	}
	return ac, true, nil
}

// helperError names the credential helper that failed to give host's
// credentials, and what to do when it is not installed.
func helperError(cfg *configfile.ConfigFile, host string, err error) error {
	helper := cfg.CredentialHelpers[host]
	if helper == "" {
		helper = cfg.CredentialsStore
	}
	bin := "docker-credential-" + helper
	if strings.Contains(err.Error(), "executable file not found") {
		return fmt.Errorf("the credential helper %s, which %s names for %s, is not installed: install it (on PATH), or take it out of that file", bin, cfg.Filename, host)
	}
	return fmt.Errorf("the credential helper %s failed to give the credentials for %s: %s", bin, host, oneLine(err.Error()))
}

// registryAuth encodes the user's credentials for ref's registry, for the
// Engine's pulls and pushes; "" when there are none.
func (tm *team) registryAuth(ref string) (string, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", nil
	}
	ac, ok, err := credentials(tm.dockerConfig, reference.Domain(named))
	if !ok {
		return "", err
	}
	return registry.EncodeAuthConfig(registry.AuthConfig{
		Username:      ac.Username,
		Password:      ac.Password,
		Auth:          ac.Auth,
		ServerAddress: ac.ServerAddress,
		IdentityToken: ac.IdentityToken,
		RegistryToken: ac.RegistryToken,
	})
}

// keychain gives go-containerregistry, which reads and writes signatures,
// the same credentials as the Engine's pulls and pushes.
type keychain struct{ dockerConfig string }

func (k keychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	ac, ok, err := credentials(k.dockerConfig, r.RegistryStr())
	if !ok {
		return authn.Anonymous, err
	}
	return authn.FromConfig(authn.AuthConfig{
		Username:      ac.Username,
		Password:      ac.Password,
		Auth:          ac.Auth,
		IdentityToken: ac.IdentityToken,
		RegistryToken: ac.RegistryToken,
	}), nil
}
