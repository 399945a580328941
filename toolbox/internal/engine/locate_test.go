package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The Engine is found in the docker CLI's order: --host, then DOCKER_HOST,
// then --context, DOCKER_CONTEXT, the configuration's current context and
// the default socket; --host and --context together are an error.
func TestLocateFollowsTheDockerCLIsOrder(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		w    Where
		host string
		err  string
	}{
		{"--host", Where{Host: "unix:///h.sock", EnvHost: "unix:///env.sock", ConfigDir: dir}, "unix:///h.sock", ""},
		{"DOCKER_HOST", Where{EnvHost: "unix:///env.sock", EnvContext: "nope", ConfigDir: dir}, "unix:///env.sock", ""},
		{"the default", Where{ConfigDir: dir}, "unix:///var/run/docker.sock", ""},
		{"--host and --context", Where{Host: "unix:///h.sock", Context: "c", ConfigDir: dir}, "", "conflicting options"},
		{"an unknown context", Where{Context: "nope", ConfigDir: dir}, "", "nope"},
	} {
		ep, err := Locate(tc.w)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: %v; want an error with %q", tc.name, err, tc.err)
		case tc.err == "" && (err != nil || ep.Host != tc.host):
			t.Errorf("%s: %q %v; want %q", tc.name, ep.Host, err, tc.host)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"currentContext":"gone"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Locate(Where{ConfigDir: dir}); err == nil || !strings.Contains(err.Error(), "gone") {
		t.Errorf("the configuration's current context, which does not exist: %v", err)
	}
}

func TestSocketPath(t *testing.T) {
	for host, want := range map[string]string{"unix:///var/run/docker.sock": "/var/run/docker.sock", "unix:///run/user/1000/podman/podman.sock": "/run/user/1000/podman/podman.sock"} {
		if got, ok := SocketPath(host); !ok || got != want {
			t.Errorf("%s: %q %v", host, got, ok)
		}
	}
	for _, host := range []string{"tcp://1.2.3.4:2376", "ssh://me@host", "npipe:////./pipe/docker_engine", ""} {
		if got, ok := SocketPath(host); ok {
			t.Errorf("%s is not a socket, got %q", host, got)
		}
	}
}
