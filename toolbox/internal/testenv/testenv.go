// Package testenv gives tests a real Docker Engine and the objects they need
// on it (base images, projects, a registry), each labelled and removed when
// the test ends, pass or fail.
package testenv

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"

	"github.com/tbx-dev/tbx/toolbox/internal/labels"
)

// TestLabel marks objects that tests make outside tbx.
const TestLabel = "dev.tbx.test"

// Engine connects to the Engine, failing the test when there is none. With
// -short it skips the test: `go test -short ./...` runs every test that
// needs no Engine, on a machine without one.
func Engine(t testing.TB) *client.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a Docker Engine; -short runs without one")
	}
	c, err := Connect(context.Background())
	if err != nil {
		t.Fatalf("these tests need a Docker Engine (scripts/test.sh starts one): %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Name returns a unique lowercase name with prefix.
func Name(prefix string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Project returns a fresh project name whose images, containers and volumes
// are removed when the test ends.
func Project(t testing.TB, c *client.Client) string {
	t.Helper()
	name := Name("t")
	t.Cleanup(func() { RemoveProject(t, c, name) })
	return name
}

// RemoveProject removes every object labelled with project name.
func RemoveProject(t testing.TB, c *client.Client, name string) {
	ctx := context.Background()
	f := labels.ForProject(name)
	cs, _ := c.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	for _, ct := range cs {
		_ = c.ContainerRemove(ctx, ct.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
	}
	vols, _ := c.VolumeList(ctx, volume.ListOptions{Filters: f})
	for _, v := range vols.Volumes {
		_ = c.VolumeRemove(ctx, v.Name, true)
	}
	ims, _ := c.ImageList(ctx, image.ListOptions{All: true, Filters: f})
	for _, im := range ims {
		if _, err := c.ImageRemove(ctx, im.ID, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil && !cerrdefs.IsNotFound(err) {
			t.Logf("removing image %s: %v", im.ID, err)
		}
	}
}

// ImportBase imports a tiny base image holding files (no shell: enough for
// COPY-only builds) under a unique name, removed when the test ends.
func ImportBase(t testing.TB, c *client.Client, files map[string]string) string {
	t.Helper()
	ref := Name("tbx-test/base-") + ":1"
	ImportBaseAs(t, c, ref, files)
	return ref
}

// ImportBaseAs is ImportBase under a name of the caller's: the same name can
// then mean different images on two Engines.
func ImportBaseAs(t testing.TB, c *client.Client, ref string, files map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, content := range files {
		hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write([]byte(content))
	}
	_ = tw.Close()
	ctx := context.Background()
	rc, err := c.ImageImport(ctx, image.ImportSource{Source: &buf, SourceName: "-"}, ref,
		image.ImportOptions{Changes: []string{"LABEL " + TestLabel + "=1"}})
	if err != nil {
		t.Fatalf("importing base image: %v", err)
	}
	_, _ = io.Copy(io.Discard, rc)
	rc.Close()
	t.Cleanup(func() { RemoveImage(c, ref) })
}

// RemoveImage removes ref, ignoring a missing one.
func RemoveImage(c *client.Client, ref string) {
	_, _ = c.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true, PruneChildren: true})
}

// LeftContainers lists containers with label, for leak checks.
func LeftContainers(t testing.TB, c *client.Client, label string) []container.Summary {
	t.Helper()
	cs, err := c.ContainerList(context.Background(), container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", label))})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// DebianBase is the base image that images/ and the run tests start from;
// scripts/test.sh makes it with scripts/base-image.sh when it is missing.
const DebianBase = "debian:bookworm-slim"

// Debian fails the test unless the Debian base image is on the Engine.
func Debian(t testing.TB, c *client.Client) string {
	t.Helper()
	if _, err := c.ImageInspect(context.Background(), DebianBase); err != nil {
		t.Fatalf("%s is not on the Engine; run scripts/base-image.sh (scripts/test.sh does): %v", DebianBase, err)
	}
	return DebianBase
}

// Network creates a labelled bridge network for the test; containers still
// on it when the test ends are removed with it.
func Network(t testing.TB, c *client.Client) string {
	t.Helper()
	ctx := context.Background()
	name := Name("tbx-test-net-")
	if _, err := c.NetworkCreate(ctx, name, network.CreateOptions{Labels: map[string]string{TestLabel: "1"}}); err != nil {
		t.Fatalf("creating network: %v", err)
	}
	t.Cleanup(func() {
		if n, err := c.NetworkInspect(ctx, name, network.InspectOptions{}); err == nil {
			for id := range n.Containers {
				_ = c.ContainerRemove(ctx, id, container.RemoveOptions{Force: true})
			}
		}
		_ = c.NetworkRemove(ctx, name)
	})
	return name
}

// WriteFiles writes path → content below dir, making directories.
func WriteFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// PruneBuildCache removes the BuildKit cache records whose description
// mentions marker (a test's cache mount id, say), when the test ends.
func PruneBuildCache(t testing.TB, c *client.Client, marker string) {
	t.Cleanup(func() {
		ctx := context.Background()
		du, err := c.DiskUsage(ctx, types.DiskUsageOptions{Types: []types.DiskUsageObject{types.BuildCacheObject}})
		if err != nil {
			return
		}
		for _, r := range du.BuildCache {
			if strings.Contains(r.Description, marker) {
				_, _ = c.BuildCachePrune(ctx, build.CachePruneOptions{All: true, Filters: filters.NewArgs(filters.Arg("id", "^"+r.ID+"$"))})
			}
		}
	})
}

// RemoveContainer removes container id, with its anonymous volumes,
// ignoring a missing one.
func RemoveContainer(c *client.Client, id string) {
	_ = c.ContainerRemove(context.Background(), id, container.RemoveOptions{Force: true, RemoveVolumes: true})
}

// Connect opens a client for the Engine the tests use (DOCKER_HOST, or the
// default socket) and checks that it answers, negotiating the API version.
// tbx itself locates its Engine as the docker CLI does (engine.Locate).
func Connect(ctx context.Context) (*client.Client, error) {
	c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("configuring the Docker Engine client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := c.Ping(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("cannot reach the Docker Engine at %s: %w; start dockerd or set DOCKER_HOST", c.DaemonHost(), err)
	}
	return c, nil
}
