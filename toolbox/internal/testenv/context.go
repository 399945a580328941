package testenv

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/docker/cli/cli/context/docker"
	"github.com/docker/cli/cli/context/store"

	"github.com/tbx-dev/tbx/toolbox/internal/engine"
)

// DockerConfig gives the test a Docker config directory of its own
// (DOCKER_CONFIG) and returns it.
func DockerConfig(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	return dir
}

// DockerContext writes a docker context called name whose Engine is host
// into the docker CLI's context store under DOCKER_CONFIG (which the test
// must have set, with DockerConfig), as
// `docker context create NAME --docker host=HOST` does.
func DockerContext(t testing.TB, name, host string) {
	t.Helper()
	dir := os.Getenv("DOCKER_CONFIG")
	if dir == "" {
		t.Fatal("DockerContext writes into the test's own DOCKER_CONFIG: call DockerConfig first")
	}
	err := engine.ContextStore(dir).CreateOrUpdate(store.Metadata{
		Name:      name,
		Metadata:  map[string]any{"Description": "a tbx test's"},
		Endpoints: map[string]any{docker.DockerEndpoint: docker.EndpointMeta{Host: host}},
	})
	if err != nil {
		t.Fatalf("writing docker context %s: %v", name, err)
	}
}

// UseDockerContext makes name the current context in DOCKER_CONFIG's
// config.json, as `docker context use NAME` does.
func UseDockerContext(t testing.TB, name string) {
	t.Helper()
	path := filepath.Join(os.Getenv("DOCKER_CONFIG"), "config.json")
	if err := os.WriteFile(path, []byte(`{"currentContext": "`+name+`"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}
