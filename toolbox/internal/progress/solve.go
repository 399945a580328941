package progress

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	bk "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/progress/progressui"
)

// Solve renders BuildKit's status stream until it closes, with BuildKit's
// own progress UI: the live view on a terminal, plain lines prefixed
// "tbx: NAME:" otherwise. Quiet keeps the plain lines to itself and returns
// their tail, for a failure to show.
func Solve(ctx context.Context, ch chan *bk.SolveStatus, w *Writer, mode Mode, name string) []string {
	var out io.Writer
	uiMode := progressui.PlainMode
	tail := &ring{max: TailLines}
	switch mode {
	case Live:
		out, uiMode = w.Out(), progressui.TtyMode
	case Quiet:
		out = &lineWriter{emit: tail.add}
	default:
		hb := startHeartbeat(w, Silence, func(elapsed time.Duration) string {
			return fmt.Sprintf("%s: still working, %s elapsed", name, elapsed)
		})
		defer hb.stop()
		out = &lineWriter{emit: func(l string) { hb.beat(); w.Printf("%s: %s", name, l) }}
	}
	d, err := progressui.NewDisplay(out, uiMode)
	if err != nil {
		// Not a terminal after all: plain lines will do.
		out = &lineWriter{emit: func(l string) { w.Printf("%s: %s", name, l) }}
		d, _ = progressui.NewDisplay(out, progressui.PlainMode)
	}
	_, _ = d.UpdateFrom(ctx, ch)
	for range ch {
		// Drain what the display left: the build waits for every update.
	}
	if lw, ok := out.(*lineWriter); ok {
		lw.flush()
	}
	return tail.lines
}

// lineWriter cuts what it is written into lines and hands each non-empty
// one to emit.
type lineWriter struct {
	buf  bytes.Buffer
	emit func(string)
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.buf.Write(p)
	for {
		line, err := l.buf.ReadString('\n')
		if err != nil {
			l.buf.WriteString(line) // a partial line waits for its end
			return len(p), nil
		}
		l.send(line)
	}
}

func (l *lineWriter) flush() {
	l.send(l.buf.String())
	l.buf.Reset()
}

func (l *lineWriter) send(line string) {
	if line = strings.TrimRight(line, " \t\r\n"); line != "" {
		l.emit(line)
	}
}

// Silence is how long a plain build may say nothing before tbx says how
// long it has been going, so that a CI log shows it is not stuck.
var Silence = 15 * time.Second // a variable for tests alone

// heartbeat prints a line of say's, given the elapsed time, when no line
// has come for a while.
type heartbeat struct {
	mu    sync.Mutex
	last  time.Time
	start time.Time
	done  chan struct{}
}

func startHeartbeat(w *Writer, silence time.Duration, say func(elapsed time.Duration) string) *heartbeat {
	h := &heartbeat{start: time.Now(), last: time.Now(), done: make(chan struct{})}
	go func() {
		tick := time.NewTicker(silence / 15)
		defer tick.Stop()
		for {
			select {
			case <-h.done:
				return
			case now := <-tick.C:
				h.mu.Lock()
				quiet := now.Sub(h.last) >= silence
				if quiet {
					h.last = now
				}
				h.mu.Unlock()
				if quiet {
					w.Printf("%s", say(now.Sub(h.start).Round(time.Second)))
				}
			}
		}
	}()
	return h
}

func (h *heartbeat) beat() {
	h.mu.Lock()
	h.last = time.Now()
	h.mu.Unlock()
}

func (h *heartbeat) stop() { close(h.done) }
