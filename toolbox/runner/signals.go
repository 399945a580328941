package runner

import (
	"context"
	"strconv"
	"syscall"

	"github.com/tbx-dev/tbx/toolbox/engine"
	"github.com/tbx-dev/tbx/toolbox/exit"
	"github.com/tbx-dev/tbx/toolbox/signals"
)

// SignalRouter hands the process's signals to a command once it may start
// (signals.Router): Hold before the start, which reports a terminating
// signal that came first; Deliver once it runs; Release after.
type SignalRouter interface {
	Hold() syscall.Signal
	Deliver(send func(syscall.Signal))
	Release()
}

// holdSignals takes the signals for a command about to start; when one
// already asked tbx to stop, the command must not start and the run ends
// as if the signal had killed it.
func (r *Runner) holdSignals() (release func(), err error) {
	router := r.Signals
	if router == nil {
		own, _ := signals.Start(context.Background())
		router, r.Signals = own, own
		release = own.Stop
	}
	if sig := router.Hold(); sig != 0 {
		router.Release()
		return func() {}, exit.Status(128 + int(sig))
	}
	if release == nil {
		release = router.Release
	}
	return release, nil
}

// killer signals a throwaway container's process.
func killer(ctx context.Context, e engine.Engine, id string) func(syscall.Signal) {
	ctx = context.WithoutCancel(ctx)
	return func(sig syscall.Signal) { _ = e.ContainerKill(ctx, id, strconv.Itoa(int(sig))) }
}
