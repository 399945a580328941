package reuse

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// A second attempt reads stdin from its start, whatever the first one took.
func TestReplayGivesStdinAgain(t *testing.T) {
	src := bytes.Repeat([]byte("0123456789"), 10000)
	r := newReplay(bytes.NewReader(src))
	first, err := r.reader()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 777)
	if _, err := io.ReadFull(first, buf); err != nil {
		t.Fatal(err)
	}
	second, err := r.reader()
	if err != nil {
		t.Fatal(err)
	}
	if n, err := first.Read(buf); n != 0 || err != io.EOF {
		t.Errorf("the first reader after a second began: %d, %v; want EOF", n, err)
	}
	got, err := io.ReadAll(second)
	if err != nil || !bytes.Equal(got, src) {
		t.Fatalf("the second reader got %d bytes (%v), want all %d", len(got), err, len(src))
	}
}

// Past replayLimit the stdin streams through, and starting over is refused.
func TestReplayLetsGoPastItsLimit(t *testing.T) {
	src := bytes.Repeat([]byte{7}, replayLimit+100<<10)
	r := newReplay(bytes.NewReader(src))
	first, _ := r.reader()
	got, err := io.ReadAll(first)
	if err != nil || !bytes.Equal(got, src) {
		t.Fatalf("read %d bytes (%v), want %d", len(got), err, len(src))
	}
	if r.kept > replayLimit+64<<10 {
		t.Errorf("%d bytes kept after all was read; want no more than the limit", r.kept)
	}
	if _, err := r.reader(); !errors.Is(err, errNoReplay) {
		t.Errorf("a second attempt after the limit: %v, want errNoReplay", err)
	}
}
