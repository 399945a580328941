package progress

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	bk "github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

// solveStream is a failed RUN step as BuildKit reports it.
func solveStream() chan *bk.SolveStatus {
	now := time.Now()
	v := digest.FromString("step")
	ch := make(chan *bk.SolveStatus, 3)
	ch <- &bk.SolveStatus{Vertexes: []*bk.Vertex{{Digest: v, Name: "[2/2] RUN make", Started: &now}}}
	ch <- &bk.SolveStatus{Logs: []*bk.VertexLog{{Vertex: v, Data: []byte("compiling\nlinker failed\n"), Timestamp: now}}}
	ch <- &bk.SolveStatus{Vertexes: []*bk.Vertex{{Digest: v, Name: "[2/2] RUN make", Started: &now, Completed: &now, Error: "exit code: 2"}}}
	close(ch)
	return ch
}

func TestSolvePlainPrefixesEveryLine(t *testing.T) {
	var out bytes.Buffer
	tail := Solve(context.Background(), solveStream(), NewWriter(&out), Plain, "az")
	if len(tail) != 0 {
		t.Errorf("plain mode kept a tail: %v", tail)
	}
	text := out.String()
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if !strings.HasPrefix(line, "tbx: az: ") {
			t.Errorf("line without the prefix: %q", line)
		}
	}
	for _, want := range []string{"[2/2] RUN make", "linker failed", "ERROR"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in:\n%s", want, text)
		}
	}
}

func TestSolveQuietKeepsTheFailingLog(t *testing.T) {
	var out bytes.Buffer
	tail := Solve(context.Background(), solveStream(), NewWriter(&out), Quiet, "az")
	if out.Len() != 0 {
		t.Errorf("quiet mode printed: %q", out.String())
	}
	if !strings.Contains(strings.Join(tail, "\n"), "linker failed") {
		t.Errorf("tail %q lacks the failing step's log", tail)
	}
}

// A plain build that says nothing for a while gets a line with the time it
// has taken, so that a CI log shows it is not stuck; a line resets it.
func TestHeartbeatSaysElapsedTimeWhenSilent(t *testing.T) {
	var mu safeBuffer
	h := startHeartbeat(NewWriter(&mu), 150*time.Millisecond, func(d time.Duration) string { return "az: still working, " + d.String() })
	defer h.stop()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(mu.String(), "tbx: az: still working, ") {
		if time.Now().After(deadline) {
			t.Fatalf("no heartbeat after a silent build: %q", mu.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type safeBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *safeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *safeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
