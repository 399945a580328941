//go:build !windows

package signals

import (
	"context"
	"slices"
	"syscall"
	"testing"
)

// A signal that does not stop tbx (SIGUSR1, SIGWINCH's kin aside) is kept
// for the command even before it may start, and cancels nothing.
func TestSignalsThatDoNotStopTbxAreKeptForTheCommand(t *testing.T) {
	r, ctx := Start(context.Background())
	defer r.Stop()
	r.route(syscall.SIGUSR1)
	r.route(syscall.SIGCONT)
	if ctx.Err() != nil || r.Interrupted() != 0 {
		t.Fatal("SIGUSR1 before the command cancelled tbx's work")
	}
	if got := r.Hold(); got != 0 {
		t.Errorf("Hold = %v after SIGUSR1", got)
	}
	var got []syscall.Signal
	r.Deliver(func(s syscall.Signal) { got = append(got, s) })
	if want := []syscall.Signal{syscall.SIGUSR1, syscall.SIGCONT}; !slices.Equal(got, want) {
		t.Errorf("the command got %v, want %v", got, want)
	}
}

// Once the command's run is released, a terminating signal cancels again;
// the first one is the one tbx says it was stopped by.
func TestAfterReleaseTheFirstTerminatingSignalCancels(t *testing.T) {
	r, ctx := Start(context.Background())
	defer r.Stop()
	r.Hold()
	var got []syscall.Signal
	r.Deliver(func(s syscall.Signal) { got = append(got, s) })
	r.route(syscall.SIGINT)
	if ctx.Err() != nil || !slices.Equal(got, []syscall.Signal{syscall.SIGINT}) {
		t.Fatalf("SIGINT during the command: cancelled %v, the command got %v", ctx.Err(), got)
	}
	r.Release()
	r.route(syscall.SIGHUP)
	r.route(syscall.SIGTERM)
	if ctx.Err() == nil {
		t.Fatal("SIGHUP after the command did not cancel")
	}
	if r.Interrupted() != syscall.SIGHUP {
		t.Errorf("Interrupted = %v, want the first, SIGHUP", r.Interrupted())
	}
	if len(got) != 1 {
		t.Errorf("a released command still got signals: %v", got)
	}
}

// A queue dropped by Release is not handed to the next command.
func TestReleaseDropsTheQueue(t *testing.T) {
	r, _ := Start(context.Background())
	defer r.Stop()
	r.Hold()
	r.route(syscall.SIGUSR2)
	r.Release()
	r.Hold()
	var got []syscall.Signal
	r.Deliver(func(s syscall.Signal) { got = append(got, s) })
	if len(got) != 0 {
		t.Errorf("the next command got the last one's signals: %v", got)
	}
}

// The terminal's own signals and a broken pipe are tbx's, never the
// command's: the command has its own terminal and pipes.
func TestForwardedLeavesOutWhatIsTbxsOwn(t *testing.T) {
	for _, s := range []syscall.Signal{syscall.SIGCHLD, syscall.SIGURG, syscall.SIGWINCH, syscall.SIGPIPE} {
		if Forwarded(s) {
			t.Errorf("%v is forwarded", s)
		}
	}
	for _, s := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGTSTP} {
		if !Forwarded(s) {
			t.Errorf("%v is not forwarded", s)
		}
	}
}
