package runner

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"

	"github.com/tbx-dev/tbx/toolbox/internal/exit"
	"github.com/tbx-dev/tbx/toolbox/internal/helperspec"
)

// initLine is the stream where a throwaway container's init (tini, the
// Engine's --init) says that it could not start the command, in a raw line
// of its own: "[FATAL tini (7)] exec az failed: No such file or
// directory". Such a line is held back until the exit says whether it was
// that (126 or 127: the command never ran); tbx then says it in its own
// words, as the helper does where it starts the command. Any other output
// passes through as it comes, and so does a line in tini's words about
// another command than the one started (the command's own).
type initLine struct {
	w           io.Writer
	command     string // what the init was told to start
	tool, image string // whose container it is, for the words
	held        []byte
	passing     bool
}

const tiniFatal = "[FATAL tini ("

var tiniExec = regexp.MustCompile(`^\[FATAL tini \(\d+\)\] exec (.*) failed: (.*?)\r?\n?$`)

func (l *initLine) Write(p []byte) (int, error) {
	if l.passing {
		return l.w.Write(p)
	}
	complete := bytes.IndexByte(l.held, '\n') >= 0
	l.held = append(l.held, p...)
	n := min(len(l.held), len(tiniFatal))
	if complete || string(l.held[:n]) != tiniFatal[:n] {
		// Not tini's line, or more after it: the command is running.
		return len(p), l.flush()
	}
	return len(p), nil
}

func (l *initLine) flush() error {
	l.passing = true
	held := l.held
	l.held = nil
	_, err := l.w.Write(held)
	return err
}

// finish is the run's result once the command has exited with status: tbx's
// own line for a command the init could not start, else status, with what
// was held back written.
func (l *initLine) finish(status error) error {
	var code exit.Status
	if !l.passing && errors.As(status, &code) && (code == exit.NotFound || code == exit.CannotInvoke) {
		if m := tiniExec.FindSubmatch(l.held); m != nil && string(m[1]) == l.command {
			detail := fmt.Sprintf("exec: %q: %s", m[1], m[2])
			return exit.Errorf(int(code), "%s", helperspec.Unrunnable(code == exit.NotFound, l.tool, l.image, detail))
		}
	}
	if !l.passing {
		_ = l.flush()
	}
	return status
}
