package runner

import (
	"context"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/tbx-dev/tbx/toolbox/internal/exit"
	"github.com/tbx-dev/tbx/toolbox/internal/signals"
)

// SignalRouter hands the process's signals to a command once it may start
// (signals.Router): Hold before the start, which reports a terminating
// signal that came first; Deliver once it runs; Release after.
type SignalRouter interface {
	Hold() syscall.Signal
	Deliver(send func(syscall.Signal))
	Release()
}

// HoldSignals takes the signals for a command about to start; when one
// already asked tbx to stop, the command must not start and the run ends
// as if the signal had killed it.
func (r *Runner) HoldSignals() (release func(), err error) {
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

// killer signals a throwaway container's process. With an init as PID 1,
// the first signal waits until the init has started the command: the
// kernel drops a signal sent to a PID namespace's init that has not yet
// set up its handling (tini and catatonit block every signal before they
// start the command, so one sent after that waits for them).
func killer(ctx context.Context, e Engine, id string, init bool) func(syscall.Signal) {
	ctx = context.WithoutCancel(ctx)
	var ready sync.Once
	return func(sig syscall.Signal) {
		if init {
			ready.Do(func() { waitForCommand(ctx, e, id) })
		}
		_ = e.ContainerKill(ctx, id, strconv.Itoa(int(sig)))
	}
}

// waitForCommand waits until the container's init has a child, has
// stopped, or 5 seconds have passed.
func waitForCommand(ctx context.Context, e Engine, id string) {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		top, err := e.ContainerTop(ctx, id, nil)
		if err != nil || len(top.Processes) >= 2 {
			return
		}
	}
}
