package runner

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// fakeEngine is an Engine whose calls a test stubs one by one; a call it
// did not stub panics on the nil interface, loudly.
type fakeEngine struct {
	Engine
	create  func(*container.Config) error
	attach  error
	volumes []volume.CreateOptions
	removed []string
}

func (f *fakeEngine) VolumeCreate(_ context.Context, o volume.CreateOptions) (volume.Volume, error) {
	f.volumes = append(f.volumes, o)
	return volume.Volume{Name: o.Name}, nil
}

func (f *fakeEngine) ContainerCreate(_ context.Context, cfg *container.Config, _ *container.HostConfig, _ *network.NetworkingConfig, _ *ocispec.Platform, _ string) (container.CreateResponse, error) {
	if err := f.create(cfg); err != nil {
		return container.CreateResponse{}, err
	}
	return container.CreateResponse{ID: "c1"}, nil
}

func (f *fakeEngine) ContainerAttach(context.Context, string, container.AttachOptions) (types.HijackedResponse, error) {
	return types.HijackedResponse{}, f.attach
}

func (f *fakeEngine) ContainerRemove(_ context.Context, id string, o container.RemoveOptions) error {
	if o.Force {
		f.removed = append(f.removed, id)
	}
	return nil
}

func testRunner(f *fakeEngine) *Runner {
	return &Runner{Engine: f, Streams: Streams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard}}
}

// A container made but not attached to is removed at once: a failed run
// leaves nothing on the Engine.
func TestAFailedAttachRemovesTheContainer(t *testing.T) {
	f := &fakeEngine{create: func(*container.Config) error { return nil }, attach: errors.New("unable to upgrade to tcp, received 409")}
	err := testRunner(f).Run(context.Background(), invocation(recipe.Run{}))
	if err == nil || !strings.Contains(err.Error(), "attaching to the container") {
		t.Errorf("error: %v", err)
	}
	if len(f.removed) != 1 || f.removed[0] != "c1" {
		t.Errorf("removed %v, want [c1]", f.removed)
	}
}

// An Engine with no init binary (Podman without catatonit) gets the fix in
// one line, and no container is attached to.
func TestAnEngineWithoutInitSaysWhatToInstall(t *testing.T) {
	f := &fakeEngine{create: func(*container.Config) error {
		return errors.New(`container create: lookup init binary "catatonit": not found`)
	}}
	err := testRunner(f).Run(context.Background(), invocation(recipe.Run{}))
	if err == nil || !strings.Contains(err.Error(), "install catatonit") || !strings.Contains(err.Error(), "init = false") {
		t.Errorf("error: %v", err)
	}
}

// The recipe's named volumes are made before the container, with tbx's
// labels, so that gc finds them; bind mounts make none.
func TestNamedVolumesAreMadeLabelled(t *testing.T) {
	var madeAfterVolumes bool
	f := &fakeEngine{}
	f.create = func(*container.Config) error {
		madeAfterVolumes = len(f.volumes) == 1
		return errors.New("stop here")
	}
	_ = testRunner(f).Run(context.Background(), invocation(recipe.Run{Volumes: []string{"cache:/cache", "/etc:/host-etc:ro"}}))
	if len(f.volumes) != 1 || f.volumes[0].Name != "tbx_p-0123_cache" || f.volumes[0].Labels[labels.Project] != "p" {
		t.Fatalf("volumes: %+v", f.volumes)
	}
	if !madeAfterVolumes {
		t.Error("the container was made before its volume")
	}
}
