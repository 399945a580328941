package reuse

import (
	"context"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/tbx-dev/tbx/toolbox/internal/engine"
	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/runner"
)

// Asker is what asking a warm container's helper takes of the Engine: an
// exec, its output and its end.
type Asker interface {
	ContainerExecCreate(ctx context.Context, id string, options container.ExecOptions) (container.ExecCreateResponse, error)
	ContainerExecAttach(ctx context.Context, execID string, options container.ExecAttachOptions) (types.HijackedResponse, error)
	ContainerExecInspect(ctx context.Context, execID string) (container.ExecInspect, error)
}

// Lister is what listing warm containers takes of the Engine.
type Lister interface {
	Asker
	ContainerList(ctx context.Context, options container.ListOptions) ([]container.Summary, error)
}

// Engine is what a warm run asks of the Engine: what a throwaway run does,
// and to find the tool's warm container, run in it through an exec, and
// read the image's user.
type Engine interface {
	runner.Engine
	Lister
	ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error)
	ContainerExecStart(ctx context.Context, execID string, options container.ExecStartOptions) error
	ContainerExecResize(ctx context.Context, execID string, options container.ResizeOptions) error
	ContainerKill(ctx context.Context, id, signal string) error
	ImageInspect(ctx context.Context, ref string, _ ...client.ImageInspectOption) (image.InspectResponse, error)
}

var _ Engine = engine.Engine(nil)
