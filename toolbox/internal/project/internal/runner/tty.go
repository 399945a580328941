package runner

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/mattn/go-isatty"
	"github.com/moby/term"
)

// IsTerminal reports whether v is a file on a terminal.
func IsTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

// UseTTY is true when both stdin and stdout are terminals: only then can a
// container's TTY stand in for the caller's without corrupting a pipe.
func UseTTY(in io.Reader, out io.Writer) bool {
	return IsTerminal(in) && IsTerminal(out)
}

// RawTerminal puts the terminal behind in into raw mode, so that keys such
// as Ctrl-C reach the container's TTY; restore undoes it.
func RawTerminal(in io.Reader) (restore func(), err error) {
	f := in.(*os.File)
	state, err := term.SetRawTerminal(f.Fd())
	if err != nil {
		return nil, fmt.Errorf("setting the terminal to raw mode: %w", err)
	}
	return func() { _ = term.RestoreTerminal(f.Fd(), state) }, nil
}

func winsize(out io.Writer) (uint, uint, bool) {
	f, ok := out.(*os.File)
	if !ok {
		return 0, 0, false
	}
	ws, err := term.GetWinsize(f.Fd())
	if err != nil || ws.Height == 0 {
		return 0, 0, false
	}
	return uint(ws.Height), uint(ws.Width), true
}

// ConsoleSize is the size to create the container's TTY with.
func ConsoleSize(out io.Writer) [2]uint {
	h, w, _ := winsize(out)
	return [2]uint{h, w}
}

// MonitorSize sizes the command's TTY through set now and on every SIGWINCH.
func MonitorSize(out io.Writer, set func(container.ResizeOptions) error) (stop func()) {
	resize := func() error {
		h, w, ok := winsize(out)
		if !ok {
			return nil
		}
		return set(container.ResizeOptions{Height: h, Width: w})
	}
	// The process may not be ready for the first resize; docker retries too.
	for i := 0; i < 5 && resize() != nil; i++ {
		time.Sleep(time.Duration(i+1) * 10 * time.Millisecond)
	}
	return watchResize(func() { _ = resize() })
}
