package direct

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/moby/term"
)

// Streams are the caller's standard streams. None of them is passed to
// the command: it gets pipes that tbx relays, so that nothing of the
// caller's (a terminal, a file, a socket) is reachable from the container
// once the run has ended.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// Signals hands the caller's signals to the command once it may start:
// Hold before, which reports a terminating signal that came first; Deliver
// once it runs; Release after.
type Signals interface {
	Hold() syscall.Signal
	Deliver(send func(syscall.Signal))
	Release()
}

// ErrNotStarted wraps every error after which the command surely did not
// run: the caller may run it another way.
var ErrNotStarted = errors.New("the command did not start")

// Run starts req (its Rows and Cols are taken from the terminal on a TTY)
// with the caller's streams and signals, and returns the command's exit
// code. A signal that asks to stop before the start returns 128+n without
// the command ever running. An error wrapping ErrNotStarted, or a
// *RefusedError, means the command did not run.
func (c *Conn) Run(req Request, st Streams, sig Signals) (int, error) {
	defer c.c.Close()
	var rl *relay
	if !req.TTY {
		var err error
		if rl, err = newRelay(st); err != nil {
			return 0, fmt.Errorf("%w: %v", ErrNotStarted, err)
		}
		defer rl.close()
	}
	if s := sig.Hold(); s != 0 {
		sig.Release()
		return 128 + int(s), nil
	}
	defer sig.Release()
	if req.TTY {
		restore, err := rawTerminal(st.In, &req)
		if err != nil {
			return 0, fmt.Errorf("%w: %v", ErrNotStarted, err)
		}
		defer restore()
	}
	sess, err := c.Start(req, rl.theirs())
	rl.sent()
	if err != nil {
		return 0, err
	}
	defer sess.Close()
	sig.Deliver(func(s syscall.Signal) { _ = sess.Signal(s) })
	var output func()
	if req.TTY {
		output = serveTerminal(sess.Master, st)
	} else {
		output = rl.start(st, func() { _ = sess.Signal(syscall.SIGPIPE) })
	}
	code, err := sess.Wait()
	output()
	return code, err
}

// rawTerminal puts the caller's terminal in raw mode, so that keys such
// as Ctrl-C reach the command's terminal, and sizes req as it.
func rawTerminal(in io.Reader, req *Request) (restore func(), err error) {
	f, ok := in.(*os.File)
	if !ok {
		return nil, errors.New("a terminal run needs stdin on a terminal")
	}
	if ws, err := term.GetWinsize(f.Fd()); err == nil {
		req.Rows, req.Cols = ws.Height, ws.Width
	}
	state, err := term.SetRawTerminal(f.Fd())
	if err != nil {
		return nil, fmt.Errorf("setting the terminal to raw mode: %w", err)
	}
	return func() { _ = term.RestoreTerminal(f.Fd(), state) }, nil
}

// serveTerminal copies between the caller's terminal and the master of
// the command's, and sizes it as the caller's on every SIGWINCH; the
// returned function waits (a second at most) for the last of the output.
func serveTerminal(master *os.File, st Streams) (drained func()) {
	go func() { _, _ = io.Copy(master, st.In) }()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(st.Out, master)
	}()
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-winch:
				if f, ok := st.Out.(*os.File); ok {
					if ws, err := term.GetWinsize(f.Fd()); err == nil {
						_ = term.SetWinsize(master.Fd(), ws)
					}
				}
			case <-stop:
				return
			}
		}
	}()
	return func() {
		signal.Stop(winch)
		close(stop)
		select {
		case <-done:
		case <-time.After(time.Second):
		}
	}
}
