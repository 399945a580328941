//go:build !windows

package signals

import (
	"context"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// kill sends sig to this process, which the Router has taken.
func kill(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(syscall.Getpid(), sig); err != nil {
		t.Fatal(err)
	}
}

// Before a command may start, a terminating signal cancels tbx's work, and
// the command must then not start.
func TestATerminatingSignalBeforeTheCommandCancels(t *testing.T) {
	r, ctx := Start(context.Background())
	defer r.Stop()
	kill(t, syscall.SIGTERM)
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SIGTERM before the command did not cancel")
	}
	if got := r.Interrupted(); got != syscall.SIGTERM {
		t.Errorf("Interrupted = %v, want SIGTERM", got)
	}
	if got := r.Hold(); got != syscall.SIGTERM {
		t.Errorf("Hold = %v, want SIGTERM: the command must not start", got)
	}
}

// Once held, no signal is lost or cancels: those that came before the
// command runs are handed to it in order, then every later one.
func TestHeldSignalsReachTheCommandInOrder(t *testing.T) {
	r, ctx := Start(context.Background())
	defer r.Stop()
	if got := r.Hold(); got != 0 {
		t.Fatalf("Hold = %v before any signal", got)
	}
	kill(t, syscall.SIGINT)
	kill(t, syscall.SIGUSR1)
	var (
		mu  sync.Mutex
		got []syscall.Signal
	)
	waitFor := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			r.mu.Lock()
			queued := len(r.queue)
			r.mu.Unlock()
			mu.Lock()
			have := len(got) + queued
			mu.Unlock()
			if have >= n {
				return
			}
		}
		t.Fatalf("the signals did not arrive: %v", got)
	}
	waitFor(2)
	if ctx.Err() != nil || r.Interrupted() != 0 {
		t.Fatal("a held SIGINT cancelled tbx's work")
	}
	r.Deliver(func(s syscall.Signal) { mu.Lock(); got = append(got, s); mu.Unlock() })
	kill(t, syscall.SIGUSR2)
	waitFor(3)
	mu.Lock()
	defer mu.Unlock()
	if want := []syscall.Signal{syscall.SIGINT, syscall.SIGUSR1, syscall.SIGUSR2}; !slices.Equal(got, want) {
		t.Errorf("the command got %v, want %v", got, want)
	}
}
