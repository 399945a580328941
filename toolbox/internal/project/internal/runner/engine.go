package runner

import (
	"context"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/tbx-dev/tbx/toolbox/internal/engine"
)

// Engine is what a throwaway run asks of the Engine: to make its named
// volumes and its container, attach to it, start, size, signal and wait for
// it, and remove it.
type Engine interface {
	VolumeCreate(ctx context.Context, options volume.CreateOptions) (volume.Volume, error)
	ContainerCreate(ctx context.Context, config *container.Config, hostConfig *container.HostConfig, networkingConfig *network.NetworkingConfig, platform *ocispec.Platform, containerName string) (container.CreateResponse, error)
	ContainerAttach(ctx context.Context, id string, options container.AttachOptions) (types.HijackedResponse, error)
	ContainerStart(ctx context.Context, id string, options container.StartOptions) error
	ContainerResize(ctx context.Context, id string, options container.ResizeOptions) error
	ContainerKill(ctx context.Context, id, signal string) error
	ContainerTop(ctx context.Context, id string, arguments []string) (container.TopResponse, error)
	ContainerWait(ctx context.Context, id string, condition container.WaitCondition) (<-chan container.WaitResponse, <-chan error)
	ContainerRemove(ctx context.Context, id string, options container.RemoveOptions) error
}

var _ Engine = engine.Engine(nil)
