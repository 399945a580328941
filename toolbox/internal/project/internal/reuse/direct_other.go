//go:build !linux

package reuse

import (
	"context"
	"io"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/runner"
)

// runDirect is Linux's alone: elsewhere the Engine runs in a VM, where a
// socket on the host cannot be shared with a container.
func (r *Runner) runDirect(context.Context, runner.Invocation, *container.Config, io.Reader, *warmContainer, running, time.Duration) error {
	return errNoSocket
}

// servedBy is false: there is no helper's socket on this host.
func servedBy(string, int) bool { return false }
