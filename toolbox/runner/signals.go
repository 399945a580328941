package runner

import (
	"context"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/tbx-dev/tbx/toolbox/engine"
)

// forwardSignals passes every catchable signal tbx receives to the
// command through send, as docker run --sig-proxy does. SIGCHLD and SIGURG
// are the runtime's, SIGWINCH is a resize and SIGPIPE is about tbx's own
// output; those stay here.
func forwardSignals(send func(syscall.Signal)) (stop func()) {
	ch := make(chan os.Signal, 64)
	signal.Notify(ch)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-ch:
				if sig, ok := s.(syscall.Signal); ok && forwarded(sig) {
					send(sig)
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}

// killer signals a throwaway container's process.
func killer(ctx context.Context, e engine.Engine, id string) func(syscall.Signal) {
	ctx = context.WithoutCancel(ctx)
	return func(sig syscall.Signal) { _ = e.ContainerKill(ctx, id, strconv.Itoa(int(sig))) }
}

func forwarded(s syscall.Signal) bool {
	switch s {
	case syscall.SIGCHLD, syscall.SIGURG, syscall.SIGWINCH, syscall.SIGPIPE:
		return false
	}
	return true
}
