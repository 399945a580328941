package acquire

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
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
	if a, err := m.t.registryAuth("reg.example.com/p/az:1"); a == "" || err != nil {
		t.Errorf("registryAuth: want credentials for reg.example.com (%v)", err)
	}
	if a, err := m.t.registryAuth("other.example.com/p/az:1"); a != "" || err != nil {
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

// A credential helper the Docker config names but the machine lacks is
// named, with what to do: never a silent request without credentials.
func TestAMissingCredentialHelperIsNamed(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"credsStore":"tbx-none","credHelpers":{"reg.example.com":"tbx-gone"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir())
	m := New(Config{DockerConfig: dir})
	for host, helper := range map[string]string{"reg.example.com": "docker-credential-tbx-gone", "other.example.com": "docker-credential-tbx-none"} {
		_, err := m.t.registryAuth(host + "/p/az:1")
		if err == nil || !strings.Contains(err.Error(), "the credential helper "+helper+", which "+filepath.Join(dir, "config.json")+" names for "+host+", is not installed") {
			t.Errorf("%s: %v", host, err)
		}
		reg, _ := name.NewRegistry(host)
		if _, err := (keychain{dir}).Resolve(reg); err == nil || !strings.Contains(err.Error(), helper) {
			t.Errorf("%s: the keychain: %v", host, err)
		}
	}
}
