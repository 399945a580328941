// Package progress renders the Engine's build and pull streams on stderr: a
// live display on a terminal, plain "tbx:"-prefixed lines otherwise.
package progress

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/pkg/jsonmessage"
	units "github.com/docker/go-units"
)

// Mode is how a stream is shown.
type Mode int

const (
	// Plain prints each line with a prefix: for logs and CI.
	Plain Mode = iota
	// Live redraws one status line on a terminal.
	Live
	// Quiet shows nothing while the stream runs (several streams at once on
	// a terminal would garble each other); failures still show their tail.
	Quiet
)

// TailLines is how much of a failed build's log is kept to show.
const TailLines = 30

// Writer serialises output of concurrent streams onto one stderr.
type Writer struct {
	mu  sync.Mutex
	out io.Writer
}

// NewWriter wraps w for concurrent use.
func NewWriter(w io.Writer) *Writer { return &Writer{out: w} }

// Printf writes one message line, prefixed "tbx: ".
func (w *Writer) Printf(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fmt.Fprintf(w.out, "tbx: "+format+"\n", args...)
}

func (w *Writer) status(line string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fmt.Fprintf(w.out, "\r\x1b[2K%s", line)
}

// Out is the underlying writer, for renderers that need it whole.
func (w *Writer) Out() io.Writer { return w.out }

// BuildResult is what a build stream told.
type BuildResult struct {
	ImageID string   // from the stream's aux message
	Tail    []string // the last lines of the log
}

// Build reads a build stream to its end. A build error comes back as the
// error, with the log's tail in the result.
func Build(r io.Reader, w *Writer, mode Mode, name string) (BuildResult, error) {
	var res BuildResult
	tail := &ring{max: TailLines}
	step := ""
	dec := json.NewDecoder(r)
	defer func() {
		if mode == Live {
			w.status("")
		}
	}()
	for {
		var m jsonmessage.JSONMessage
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return res, nil
		} else if err != nil {
			return res, fmt.Errorf("reading the build stream: %w", err)
		}
		if m.Error != nil {
			res.Tail = tail.lines
			return res, errors.New(strings.TrimSpace(m.Error.Message))
		}
		if m.Aux != nil {
			var aux struct{ ID string }
			if json.Unmarshal(*m.Aux, &aux) == nil && aux.ID != "" {
				res.ImageID = aux.ID
			}
		}
		for _, line := range splitLines(m.Stream + m.Status) {
			tail.add(line)
			if strings.HasPrefix(line, "Step ") {
				step, _, _ = strings.Cut(strings.TrimPrefix(line, "Step "), " ")
			}
			show(w, mode, name, step, line)
		}
	}
}

// show prints a line, or on a terminal redraws the status line with the
// build step and its latest output.
func show(w *Writer, mode Mode, name, step, line string) {
	switch mode {
	case Plain:
		w.Printf("%s: %s", name, line)
	case Live:
		w.status(clip(fmt.Sprintf("tbx: %s [%s] %s", name, step, line), 110))
	}
}

// Pull reads a pull stream to its end.
func Pull(r io.Reader, w *Writer, mode Mode, fd uintptr, name string) error {
	_, err := transfer(r, w, mode, fd, name, "received")
	return err
}

// Push reads a push stream to its end and returns the pushed digest.
func Push(r io.Reader, w *Writer, mode Mode, fd uintptr, name string) (string, error) {
	digest, err := transfer(r, w, mode, fd, name, "sent")
	if err == nil && digest == "" {
		err = errors.New("the push reported no digest")
	}
	return digest, err
}

// transfer shows a pull or push stream and returns the digest it reported.
// In plain mode it prints layer states, not byte counts, which would flood
// a log; when no state has come for a while, a line says how many bytes
// were moved (verb: "sent", "received") and for how long.
func transfer(r io.Reader, w *Writer, mode Mode, fd uintptr, name, verb string) (string, error) {
	var digest string
	aux := func(m jsonmessage.JSONMessage) {
		var a struct{ Digest string }
		if m.Aux != nil && json.Unmarshal(*m.Aux, &a) == nil && a.Digest != "" {
			digest = a.Digest
		}
	}
	if mode == Live {
		err := jsonmessage.DisplayJSONMessagesStream(r, w.Out(), fd, true, aux)
		return digest, err
	}
	moved := bytesMoved{beat: func() {}}
	if mode == Plain {
		hb := startHeartbeat(w, Silence, func(elapsed time.Duration) string {
			return fmt.Sprintf("%s: %s %s, %s elapsed", name, moved.String(), verb, elapsed)
		})
		defer hb.stop()
		moved.beat = hb.beat
	}
	dec := json.NewDecoder(r)
	for {
		var m jsonmessage.JSONMessage
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return digest, nil
		} else if err != nil {
			return digest, fmt.Errorf("reading the stream: %w", err)
		}
		if m.Error != nil {
			return digest, errors.New(strings.TrimSpace(m.Error.Message))
		}
		aux(m)
		moved.add(m)
		if mode == Plain && m.Progress == nil && m.Status != "" {
			moved.beat()
			w.Printf("%s: %s", name, strings.TrimSpace(strings.TrimSpace(m.ID+" "+m.Status)))
		}
	}
}

func splitLines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r", "\n"), "\n") {
		if l = strings.TrimRight(l, " \t"); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// ring keeps the last max lines.
type ring struct {
	max   int
	lines []string
}

func (r *ring) add(l string) {
	r.lines = append(r.lines, l)
	if len(r.lines) > r.max {
		r.lines = r.lines[len(r.lines)-r.max:]
	}
}

// bytesMoved adds up a transfer's layers: how far each is, of how much.
type bytesMoved struct {
	mu     sync.Mutex
	layers map[string]jsonmessage.JSONProgress
	beat   func() // tells the heartbeat a line was printed
}

func (b *bytesMoved) add(m jsonmessage.JSONMessage) {
	if m.Progress == nil || m.ID == "" {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.layers == nil {
		b.layers = map[string]jsonmessage.JSONProgress{}
	}
	b.layers[m.ID] = *m.Progress
}

// String says "120 MB of 1.5 GB" (or "120 MB" where a total is unknown).
func (b *bytesMoved) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var current, total int64
	for _, p := range b.layers {
		current += p.Current
		total += max(p.Total, p.Current)
	}
	if total > current {
		return units.HumanSize(float64(current)) + " of " + units.HumanSize(float64(total))
	}
	return units.HumanSize(float64(current))
}
