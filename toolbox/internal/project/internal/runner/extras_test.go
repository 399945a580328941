package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbx-dev/tbx/toolbox/internal/hostargs"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// A host path a run's arguments name is mounted where it was named, from
// where it leads, read-only unless the run may write it.
func TestHostPathsAreMountedWhereNamed(t *testing.T) {
	inv := invocation(recipe.Run{})
	inv.HostPaths = []hostargs.Path{
		{Named: "/home/me/x.yaml", Real: "/data/x.yaml", Arg: true},
		{Named: "/out", Real: "/out", Write: true, Arg: true},
	}
	_, host, err := Spec(inv)
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := mountAt(host.Mounts, "/home/me/x.yaml"); !ok || m.Source != "/data/x.yaml" || !m.ReadOnly {
		t.Errorf("a read path: %+v", m)
	}
	if m, ok := mountAt(host.Mounts, "/out"); !ok || m.ReadOnly {
		t.Errorf("a written path: %+v", m)
	}
}

// A CA bundle is mounted read-only and named by every variable the usual
// TLS stacks read.
func TestTheCABundleReachesEveryTLSStack(t *testing.T) {
	cfg, host, err := Spec(invocation(recipe.Run{CABundle: "/etc/corp/ca.pem"}))
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := mountAt(host.Mounts, caBundlePath); !ok || m.Source != "/etc/corp/ca.pem" || !m.ReadOnly {
		t.Errorf("the bundle's mount: %+v", m)
	}
	env := strings.Join(cfg.Env, " ")
	for _, k := range caVars {
		if !strings.Contains(env, k+"="+caBundlePath) {
			t.Errorf("%s does not name the bundle: %s", k, env)
		}
	}
}

// docker = true gives the Engine's socket, and says which socket is
// missing when it is not there.
func TestDockerGivesTheEnginesSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "docker.sock")
	if err := os.WriteFile(sock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	inv := invocation(recipe.Run{})
	inv.EngineSocket = sock
	cfg, host, err := Spec(inv)
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := mountAt(host.Mounts, enginePath); !ok || m.Source != sock || m.ReadOnly {
		t.Errorf("the socket's mount: %+v", m)
	}
	if !strings.Contains(strings.Join(cfg.Env, " "), "DOCKER_HOST=unix://"+enginePath) {
		t.Errorf("env: %v", cfg.Env)
	}
	inv.EngineSocket = filepath.Join(t.TempDir(), "gone.sock")
	if _, _, err := Spec(inv); err == nil || !strings.Contains(err.Error(), "gone.sock is not there") {
		t.Errorf("a missing socket: %v", err)
	}
}

// A named volume belongs to the project's identity: two checkouts of one
// name get two volumes. A host volume that does not exist is said.
func TestVolumesBelongToTheProjectsIdentity(t *testing.T) {
	a, b := invocation(recipe.Run{Volumes: []string{"cache:/cache"}}), invocation(recipe.Run{Volumes: []string{"cache:/cache"}})
	b.Key = "p-4567"
	_, ha, _ := Spec(a)
	_, hb, _ := Spec(b)
	ma, _ := mountAt(ha.Mounts, "/cache")
	mb, _ := mountAt(hb.Mounts, "/cache")
	if ma.Source == mb.Source {
		t.Errorf("two checkouts share the volume %s", ma.Source)
	}
	if _, _, err := Spec(invocation(recipe.Run{Volumes: []string{"/nonexistent/dir:/x"}})); err == nil || !strings.Contains(err.Error(), "the host path /nonexistent/dir does not exist") {
		t.Errorf("a missing host volume: %v", err)
	}
}
