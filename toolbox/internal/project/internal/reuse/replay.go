package reuse

import (
	"errors"
	"io"
	"sync"
)

// replayLimit is how much of stdin a warm run keeps to give again to a
// second attempt; a retry happens within milliseconds of the first
// attempt's start, long before this much is read.
const replayLimit = 4 << 20

// errNoReplay says that a run cannot be tried again: more of stdin was read
// than was kept.
var errNoReplay = errors.New("the warm container stopped as the run began, after more of stdin was read than tbx keeps; run the command again")

// replay reads the caller's stdin once, on its first use, and lets each
// attempt of a warm run read it from the start: what the first attempt's
// exec was sent but never read, because its container was stopping, goes
// to the next one. Attempts are sequential: a new reader ends the old one.
type replay struct {
	src     io.Reader
	once    sync.Once
	mu      sync.Mutex
	cond    *sync.Cond
	chunks  [][]byte
	start   int   // index of chunks[0] among all chunks read
	kept    int   // bytes in chunks
	dropped bool  // chunks were let go: no attempt can start over
	gen     int   // the current reader
	err     error // io.EOF or the read error, once src is done
}

func newReplay(src io.Reader) *replay {
	r := &replay{src: src}
	r.cond = sync.NewCond(&r.mu)
	return r
}

// fill reads src to its end, keeping what it reads.
func (r *replay) fill() {
	for {
		buf := make([]byte, 32<<10)
		n, err := r.src.Read(buf)
		r.mu.Lock()
		if n > 0 {
			r.chunks = append(r.chunks, buf[:n])
			r.kept += n
		}
		if err != nil {
			r.err = err
		}
		r.cond.Broadcast()
		r.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// reader is the next attempt's stdin, from its start.
func (r *replay) reader() (io.Reader, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dropped {
		return nil, errNoReplay
	}
	r.gen++
	r.cond.Broadcast() // the previous reader ends
	return &replayReader{r: r, gen: r.gen}, nil
}

type replayReader struct {
	r         *replay
	gen       int
	next, off int // the next chunk among all read, and where in it
}

func (rr *replayReader) Read(p []byte) (int, error) {
	r := rr.r
	r.once.Do(func() { go r.fill() })
	r.mu.Lock()
	defer r.mu.Unlock()
	for rr.gen == r.gen && rr.next-r.start >= len(r.chunks) && r.err == nil {
		r.cond.Wait()
	}
	if rr.gen != r.gen {
		return 0, io.EOF // a newer attempt reads now
	}
	if rr.next-r.start >= len(r.chunks) {
		return 0, r.err
	}
	chunk := r.chunks[rr.next-r.start]
	n := copy(p, chunk[rr.off:])
	if rr.off += n; rr.off == len(chunk) {
		rr.next, rr.off = rr.next+1, 0
	}
	r.forget(rr.next)
	return n, nil
}

// forget lets go of the chunks before next once more than replayLimit is
// kept: past that, memory matters more than starting over.
func (r *replay) forget(next int) {
	if r.kept <= replayLimit || next <= r.start {
		return
	}
	for i, c := range r.chunks[:next-r.start] {
		r.kept -= len(c)
		r.chunks[i] = nil
	}
	r.chunks = r.chunks[next-r.start:]
	r.start, r.dropped = next, true
}

// used reports whether an attempt has taken stdin: after that, only a
// replay gives a next attempt all of it.
func (r *replay) used() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gen > 0
}
