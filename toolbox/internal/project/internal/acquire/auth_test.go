package acquire

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// The Engine's pulls and the signatures' registry client take the same
// credentials from the Docker config; a registry without any gets none.
func TestOneDockerConfigServesBothRegistryClients(t *testing.T) {
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("ann:secret"))
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"auths":{"reg.example.com":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	m := New(Config{DockerConfig: dir})
	if m.team().registryAuth("reg.example.com/p/az:1") == "" || m.team().registryAuth("other.example.com/p/az:1") != "" {
		t.Error("registryAuth: want credentials for reg.example.com only")
	}
	for host, want := range map[string]string{"reg.example.com": "ann", "other.example.com": ""} {
		reg, _ := name.NewRegistry(host)
		a, err := keychain{dir}.Resolve(reg)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := a.Authorization()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Username != want || want == "" && a != authn.Anonymous {
			t.Errorf("%s: the keychain gives user %q, want %q", host, cfg.Username, want)
		}
	}
}
