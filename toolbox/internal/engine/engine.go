// Package engine is tbx's narrow view of the Docker Engine API: the calls the
// core really makes, implemented by the real docker client.
package engine

import (
	"context"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Engine is the subset of the Docker Engine API that tbx uses.
type Engine interface {
	Ping(ctx context.Context) (types.Ping, error)
	Info(ctx context.Context) (system.Info, error)
	DaemonHost() string
	ClientVersion() string
	DialHijack(ctx context.Context, url, proto string, meta map[string][]string) (net.Conn, error)

	ImageList(ctx context.Context, options image.ListOptions) ([]image.Summary, error)
	ImageInspect(ctx context.Context, ref string, _ ...client.ImageInspectOption) (image.InspectResponse, error)
	ImageBuild(ctx context.Context, buildContext io.Reader, options build.ImageBuildOptions) (build.ImageBuildResponse, error)
	ImagePull(ctx context.Context, ref string, options image.PullOptions) (io.ReadCloser, error)
	ImagePush(ctx context.Context, ref string, options image.PushOptions) (io.ReadCloser, error)
	ImageTag(ctx context.Context, source, target string) error
	DistributionInspect(ctx context.Context, ref, encodedRegistryAuth string) (registry.DistributionInspect, error)
	ImageRemove(ctx context.Context, ref string, options image.RemoveOptions) ([]image.DeleteResponse, error)

	ContainerCreate(ctx context.Context, config *container.Config, hostConfig *container.HostConfig, networkingConfig *network.NetworkingConfig, platform *ocispec.Platform, containerName string) (container.CreateResponse, error)
	ContainerAttach(ctx context.Context, id string, options container.AttachOptions) (types.HijackedResponse, error)
	ContainerStart(ctx context.Context, id string, options container.StartOptions) error
	ContainerWait(ctx context.Context, id string, condition container.WaitCondition) (<-chan container.WaitResponse, <-chan error)
	ContainerResize(ctx context.Context, id string, options container.ResizeOptions) error
	ContainerKill(ctx context.Context, id, signal string) error
	ContainerStop(ctx context.Context, id string, options container.StopOptions) error
	ContainerTop(ctx context.Context, id string, arguments []string) (container.TopResponse, error)
	ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error)
	ContainerList(ctx context.Context, options container.ListOptions) ([]container.Summary, error)
	ContainerRemove(ctx context.Context, id string, options container.RemoveOptions) error
	ContainerExecCreate(ctx context.Context, id string, options container.ExecOptions) (container.ExecCreateResponse, error)
	ContainerExecAttach(ctx context.Context, execID string, options container.ExecAttachOptions) (types.HijackedResponse, error)
	ContainerExecStart(ctx context.Context, execID string, options container.ExecStartOptions) error
	ContainerExecInspect(ctx context.Context, execID string) (container.ExecInspect, error)
	ContainerExecResize(ctx context.Context, execID string, options container.ResizeOptions) error

	VolumeCreate(ctx context.Context, options volume.CreateOptions) (volume.Volume, error)
	VolumeList(ctx context.Context, options volume.ListOptions) (volume.ListResponse, error)
	VolumeRemove(ctx context.Context, id string, force bool) error

	Events(ctx context.Context, options events.ListOptions) (<-chan events.Message, <-chan error)
}

var _ Engine = (*client.Client)(nil)

// Reader is what looking at a project asks of the Engine: its images, as
// they are. A view takes a Reader, so it cannot build, pull, push, tag,
// remove or run anything.
type Reader interface {
	ImageList(ctx context.Context, options image.ListOptions) ([]image.Summary, error)
	ImageInspect(ctx context.Context, ref string, _ ...client.ImageInspectOption) (image.InspectResponse, error)
}

var _ Reader = Engine(nil)

// rootCause keeps the last, most specific part of a long wrapped error.
func rootCause(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}

// Explain rewrites a failure to reach the Engine at host as one line that
// says what to do; other errors pass as they are.
func Explain(err error, host string) error {
	if err == nil || host == "" {
		return err
	}
	switch msg := err.Error(); {
	case strings.Contains(msg, "permission denied") && strings.Contains(msg, "docker.sock"):
		return fmt.Errorf("cannot reach the Docker Engine at %s: permission denied; join the socket's group (sudo usermod -aG docker $USER, then log in again), or use rootless Docker or Podman", host)
	case Unreachable(err) && strings.Contains(host, "podman"):
		return fmt.Errorf("the Podman service at %s is not running; start it: systemctl --user enable --now podman.socket, or podman system service --time=0 & (docs/podman.md)", host)
	case Unreachable(err):
		return fmt.Errorf("cannot reach the Docker Engine at %s: %v; start dockerd (or Docker Desktop) or set DOCKER_HOST", host, rootCause(err))
	}
	if m := tooOld.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("the Engine at %s speaks API %s, and %s needs %s: upgrade it (Docker 20.10 or later, or Podman 4 or later)", host, m[3], m[1], m[2])
	}
	return err
}

// tooOld is the Docker client's refusal of a call that the Engine's API
// version is too old for.
var tooOld = regexp.MustCompile(`"?([^"]+?)"? requires API version (\S+), but the Docker daemon API version is (\S+)`)

// Unreachable reports whether err is the Engine not answering at all: no
// daemon on the socket, or none at the address.
func Unreachable(err error) bool {
	return err != nil && (client.IsErrConnectionFailed(err) || strings.Contains(err.Error(), "Cannot connect to the Docker daemon"))
}
