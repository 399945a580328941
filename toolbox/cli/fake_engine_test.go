//go:build !windows

package cli

import (
	"context"
	"io"
	"net"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/volume"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The rest of gateEngine: every other call of the Engine interface is
// recorded and fails, so that a command against it ends without a panic.

func (g *gateEngine) Ping(ctx context.Context) (types.Ping, error) {
	g.calls = append(g.calls, "Ping")
	return types.Ping{}, errFake
}

func (g *gateEngine) Info(ctx context.Context) (system.Info, error) {
	g.calls = append(g.calls, "Info")
	return system.Info{}, errFake
}

func (g *gateEngine) ClientVersion() string {
	g.calls = append(g.calls, "ClientVersion")
	return ""
}

func (g *gateEngine) DialHijack(ctx context.Context, url, proto string, meta map[string][]string) (net.Conn, error) {
	g.calls = append(g.calls, "DialHijack")
	return nil, errFake
}

func (g *gateEngine) ImageBuild(ctx context.Context, buildContext io.Reader, options build.ImageBuildOptions) (build.ImageBuildResponse, error) {
	g.calls = append(g.calls, "ImageBuild")
	return build.ImageBuildResponse{}, errFake
}

func (g *gateEngine) ImagePull(ctx context.Context, ref string, options image.PullOptions) (io.ReadCloser, error) {
	g.calls = append(g.calls, "ImagePull")
	return nil, errFake
}

func (g *gateEngine) ImagePush(ctx context.Context, ref string, options image.PushOptions) (io.ReadCloser, error) {
	g.calls = append(g.calls, "ImagePush")
	return nil, errFake
}

func (g *gateEngine) ImageTag(ctx context.Context, source, target string) error {
	g.calls = append(g.calls, "ImageTag")
	return errFake
}

func (g *gateEngine) DistributionInspect(ctx context.Context, ref, encodedRegistryAuth string) (registry.DistributionInspect, error) {
	g.calls = append(g.calls, "DistributionInspect")
	return registry.DistributionInspect{}, errFake
}

func (g *gateEngine) ImageRemove(ctx context.Context, ref string, options image.RemoveOptions) ([]image.DeleteResponse, error) {
	g.calls = append(g.calls, "ImageRemove")
	return nil, errFake
}

func (g *gateEngine) ContainerCreate(ctx context.Context, config *container.Config, hostConfig *container.HostConfig, networkingConfig *network.NetworkingConfig, platform *ocispec.Platform, containerName string) (container.CreateResponse, error) {
	g.calls = append(g.calls, "ContainerCreate")
	return container.CreateResponse{}, errFake
}

func (g *gateEngine) ContainerAttach(ctx context.Context, id string, options container.AttachOptions) (types.HijackedResponse, error) {
	g.calls = append(g.calls, "ContainerAttach")
	return types.HijackedResponse{}, errFake
}

func (g *gateEngine) ContainerStart(ctx context.Context, id string, options container.StartOptions) error {
	g.calls = append(g.calls, "ContainerStart")
	return errFake
}

func (g *gateEngine) ContainerWait(context.Context, string, container.WaitCondition) (<-chan container.WaitResponse, <-chan error) {
	g.calls = append(g.calls, "ContainerWait")
	errC := make(chan error, 1)
	errC <- errFake
	return nil, errC
}

func (g *gateEngine) ContainerResize(ctx context.Context, id string, options container.ResizeOptions) error {
	g.calls = append(g.calls, "ContainerResize")
	return errFake
}

func (g *gateEngine) ContainerKill(ctx context.Context, id, signal string) error {
	g.calls = append(g.calls, "ContainerKill")
	return errFake
}

func (g *gateEngine) ContainerStop(ctx context.Context, id string, options container.StopOptions) error {
	g.calls = append(g.calls, "ContainerStop")
	return errFake
}

func (g *gateEngine) ContainerTop(ctx context.Context, id string, arguments []string) (container.TopResponse, error) {
	g.calls = append(g.calls, "ContainerTop")
	return container.TopResponse{}, errFake
}

func (g *gateEngine) ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error) {
	g.calls = append(g.calls, "ContainerInspect")
	return container.InspectResponse{}, errFake
}

func (g *gateEngine) ContainerRemove(ctx context.Context, id string, options container.RemoveOptions) error {
	g.calls = append(g.calls, "ContainerRemove")
	return errFake
}

func (g *gateEngine) ContainerExecCreate(ctx context.Context, id string, options container.ExecOptions) (container.ExecCreateResponse, error) {
	g.calls = append(g.calls, "ContainerExecCreate")
	return container.ExecCreateResponse{}, errFake
}

func (g *gateEngine) ContainerExecAttach(ctx context.Context, execID string, options container.ExecAttachOptions) (types.HijackedResponse, error) {
	g.calls = append(g.calls, "ContainerExecAttach")
	return types.HijackedResponse{}, errFake
}

func (g *gateEngine) ContainerExecStart(ctx context.Context, execID string, options container.ExecStartOptions) error {
	g.calls = append(g.calls, "ContainerExecStart")
	return errFake
}

func (g *gateEngine) ContainerExecInspect(ctx context.Context, execID string) (container.ExecInspect, error) {
	g.calls = append(g.calls, "ContainerExecInspect")
	return container.ExecInspect{}, errFake
}

func (g *gateEngine) ContainerExecResize(ctx context.Context, execID string, options container.ResizeOptions) error {
	g.calls = append(g.calls, "ContainerExecResize")
	return errFake
}

func (g *gateEngine) VolumeCreate(ctx context.Context, options volume.CreateOptions) (volume.Volume, error) {
	g.calls = append(g.calls, "VolumeCreate")
	return volume.Volume{}, errFake
}

func (g *gateEngine) VolumeList(ctx context.Context, options volume.ListOptions) (volume.ListResponse, error) {
	g.calls = append(g.calls, "VolumeList")
	return volume.ListResponse{}, errFake
}

func (g *gateEngine) VolumeRemove(ctx context.Context, id string, force bool) error {
	g.calls = append(g.calls, "VolumeRemove")
	return errFake
}

func (g *gateEngine) Events(context.Context, events.ListOptions) (<-chan events.Message, <-chan error) {
	g.calls = append(g.calls, "Events")
	errC := make(chan error, 1)
	errC <- errFake
	return nil, errC
}
