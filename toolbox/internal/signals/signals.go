// Package signals owns tbx's signals from the start of main, so that none is
// lost between tbx starting and its command running. Until a command is
// about to start, SIGINT, SIGTERM and SIGHUP cancel what tbx is doing (a
// build, a pull, making the container), and tbx exits 128+n; from the moment
// the command may start, every signal is queued, then handed to it, as
// `docker run --sig-proxy` does.
package signals

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Router receives every signal of the process and routes it.
type Router struct {
	ch     chan os.Signal
	cancel context.CancelFunc
	done   chan struct{}
	exited chan struct{}

	rest  sync.WaitGroup // taking every signal but the common ones
	mu    sync.Mutex
	got   syscall.Signal // the terminating signal that cancelled, or 0
	held  bool           // the command may be starting: queue, do not cancel
	queue []syscall.Signal
	send  func(syscall.Signal) // the command's, once it runs
}

// Start routes every signal of the process from now on; the returned
// context is cancelled by the first terminating signal that comes before a
// command holds them.
func Start(parent context.Context) (*Router, context.Context) {
	ctx, cancel := context.WithCancel(parent)
	r := &Router{ch: make(chan os.Signal, 64), cancel: cancel, done: make(chan struct{}), exited: make(chan struct{})}
	// The signals people send are taken at once; taking every other one
	// (each costs a system call, and there are sixty) is left to a
	// goroutine, off the caller's path: Stop waits for it.
	signal.Notify(r.ch, common...)
	r.rest.Add(1)
	go func() {
		defer r.rest.Done()
		signal.Notify(r.ch)
	}()
	go r.loop()
	return r, ctx
}

// Stop gives the signals back to the runtime's defaults, after routing
// every signal that came before: Interrupted is then exact.
func (r *Router) Stop() {
	r.rest.Wait()
	signal.Stop(r.ch)
	close(r.done)
	<-r.exited
	for {
		select {
		case s := <-r.ch:
			if sig, ok := s.(syscall.Signal); ok && Forwarded(sig) {
				r.route(sig)
			}
		default:
			r.cancel()
			return
		}
	}
}

func (r *Router) loop() {
	defer close(r.exited)
	for {
		select {
		case s := <-r.ch:
			if sig, ok := s.(syscall.Signal); ok && Forwarded(sig) {
				r.route(sig)
			}
		case <-r.done:
			return
		}
	}
}

func (r *Router) route(sig syscall.Signal) {
	r.mu.Lock()
	switch {
	case r.send != nil:
		send := r.send
		r.mu.Unlock()
		send(sig)
		return
	case r.held || !terminating(sig):
		r.queue = append(r.queue, sig)
	case r.got == 0:
		r.got = sig
		r.cancel()
	}
	r.mu.Unlock()
}

// Interrupted is the terminating signal that cancelled tbx's work, or 0.
func (r *Router) Interrupted() syscall.Signal {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got
}

// Hold is called just before a command may start: from now on signals are
// queued for it. It returns the terminating signal that came before, if
// any: then the command must not start.
func (r *Router) Hold() syscall.Signal {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.held = true
	return r.got
}

// Deliver hands the queued signals, and every later one, to send: the
// command is running.
func (r *Router) Deliver(send func(syscall.Signal)) {
	r.mu.Lock()
	queue := r.queue
	r.queue, r.send = nil, send
	r.mu.Unlock()
	for _, sig := range queue {
		send(sig)
	}
}

// Release ends a command's hold: signals cancel again.
func (r *Router) Release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.held, r.send, r.queue = false, nil, nil
}

// terminating signals stop tbx while no command runs.
func terminating(sig syscall.Signal) bool {
	return sig == syscall.SIGINT || sig == syscall.SIGTERM || sig == syscall.SIGHUP
}
