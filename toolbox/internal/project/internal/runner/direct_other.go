//go:build !linux

package runner

import (
	"context"
	"io"
	"time"

	"github.com/docker/docker/api/types/container"
)

// runDirect is Linux's alone: elsewhere the Engine runs in a VM, where a
// socket on the host cannot be shared with a container.
func (r *Runner) runDirect(context.Context, Invocation, *container.Config, io.Reader, *warmContainer, running, time.Duration) error {
	return errNoSocket
}
