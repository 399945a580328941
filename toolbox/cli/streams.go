package cli

import (
	"github.com/mattn/go-isatty"
	"io"
	"os"

	"github.com/tbx-dev/tbx/toolbox/internal/progress"
)

// Streams are the process's standard streams, injected so that tests can
// drive tbx in-process.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// fd returns the descriptor behind a stream, if it is a file.
func fd(v any) (uintptr, bool) {
	f, ok := v.(*os.File)
	if !ok {
		return 0, false
	}
	return f.Fd(), true
}

// progressMode picks how builds and pulls are shown on stderr.
func (s *Streams) progressMode(setting string) progress.Mode {
	switch setting {
	case "plain":
		return progress.Plain
	case "tty":
		return progress.Live
	}
	if f, ok := fd(s.Err); ok && isatty.IsTerminal(f) && os.Getenv("TERM") != "dumb" {
		return progress.Live
	}
	return progress.Plain
}
