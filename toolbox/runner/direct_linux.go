package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/moby/term"

	"github.com/tbx-dev/tbx/toolbox/direct"
	"github.com/tbx-dev/tbx/toolbox/exit"
)

// runDirect runs inv through the helper's socket in dir, waiting up to
// wait for a helper that is starting, and returns the command's exit
// status; errNoSocket (wrapped, with the reason) when no helper takes the
// run, and errRetry when it refused it because its container is stopping.
// The command gets the caller's own descriptors, or a terminal of the
// container's whose master tbx serves: the Engine is not on the path.
func (r *Runner) runDirect(ctx context.Context, inv Invocation, cfg *container.Config, dir string, wait time.Duration) error {
	conn, err := dialWithin(dir, wait)
	if err != nil {
		return fmt.Errorf("%w: the helper's socket does not answer (%v)", errNoSocket, err)
	}
	req := direct.Request{Argv: commandLine(cfg), Env: cfg.Env, Dir: cfg.WorkingDir, User: cfg.User, TTY: inv.TTY}
	if inv.TTY {
		cs := consoleSize(r.Streams.Out)
		req.Rows, req.Cols = uint16(cs[0]), uint16(cs[1])
	}
	files, sent, copied, err := r.directFiles(inv.TTY)
	if err != nil {
		return err
	}
	release, err := r.holdSignals()
	if err != nil {
		sent()
		return err // a signal came before the start: the command never runs
	}
	defer release()
	if inv.TTY {
		restore, err := rawTerminal(r.Streams.In)
		if err != nil {
			return err
		}
		defer restore()
	}
	sess, err := conn.Start(req, files)
	sent()
	var refused *direct.RefusedError
	switch {
	case errors.As(err, &refused) && refused.Retry:
		return errRetry
	case errors.As(err, &refused):
		return fmt.Errorf("%w: %v", errNoSocket, err)
	case err != nil:
		return exit.Errorf(exit.Launcher, "%v", err) // it may have started: never again
	}
	defer sess.Close()
	r.Signals.Deliver(func(sig syscall.Signal) { _ = sess.Signal(sig) })
	output := func() {}
	if inv.TTY {
		output = r.serveTerminal(sess.Master)
	}
	code, err := sess.Wait()
	output()
	copied()
	r.debugf("warm run through the helper's socket in %s", dir) // after the run's output: the streams may be one
	if err != nil {
		return exit.Errorf(exit.Launcher, "%v", err)
	}
	if code != 0 {
		return exit.Status(code)
	}
	return nil
}

// dialWithin connects to the socket in dir, trying for up to wait.
func dialWithin(dir string, wait time.Duration) (*direct.Conn, error) {
	deadline := time.Now().Add(wait)
	for {
		conn, err := direct.Dial(dir)
		if err == nil || time.Now().After(deadline) {
			return conn, err
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// directFiles are the descriptors the command gets: the caller's own
// stdin, stdout and stderr, or pipes that tbx copies where a stream is not
// a file (tbx run inside another program's process); none on a TTY. sent
// closes tbx's ends of those pipes once the request is sent; copied waits,
// after the run, for the copying to end.
func (r *Runner) directFiles(tty bool) (files []*os.File, sent, copied func(), err error) {
	if tty {
		return nil, func() {}, func() {}, nil
	}
	var ends []*os.File
	var copies []chan struct{}
	in, err := inFile(r.Streams.In, &ends)
	if err != nil {
		return nil, nil, nil, err
	}
	files = append(files, in)
	for _, w := range []io.Writer{r.Streams.Out, r.Streams.Err} {
		f, done, err := outFile(w, &ends)
		if err != nil {
			closeFiles(ends)
			return nil, nil, nil, err
		}
		files = append(files, f)
		if done != nil {
			copies = append(copies, done)
		}
	}
	sent = func() { closeFiles(ends) }
	copied = func() {
		for _, done := range copies {
			<-done
		}
	}
	return files, sent, copied, nil
}

func inFile(rd io.Reader, sent *[]*os.File) (*os.File, error) {
	if f, ok := rd.(*os.File); ok {
		return f, nil
	}
	if rd == nil {
		f, err := os.Open(os.DevNull)
		if err == nil {
			*sent = append(*sent, f)
		}
		return f, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	*sent = append(*sent, pr)
	go func() {
		_, _ = io.Copy(pw, rd)
		_ = pw.Close()
	}()
	return pr, nil
}

func outFile(w io.Writer, sent *[]*os.File) (*os.File, chan struct{}, error) {
	if f, ok := w.(*os.File); ok {
		return f, nil, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	*sent = append(*sent, pw)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(struct{ io.Writer }{w}, pr) // writes, never a ReadFrom into w
		_ = pr.Close()
	}()
	return pw, done, nil
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		_ = f.Close()
	}
}

// serveTerminal copies between the caller's terminal and the master of
// the command's, and sizes it as the caller's on every SIGWINCH; the
// returned function waits (a second at most) for the last of the output.
func (r *Runner) serveTerminal(master *os.File) (drained func()) {
	go func() { _, _ = io.Copy(master, r.Streams.In) }()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(r.Streams.Out, master)
	}()
	stop := monitorSize(r.Streams.Out, func(o container.ResizeOptions) error {
		return term.SetWinsize(master.Fd(), &term.Winsize{Height: uint16(o.Height), Width: uint16(o.Width)})
	})
	return func() {
		stop()
		select {
		case <-done:
		case <-time.After(time.Second):
		}
	}
}
