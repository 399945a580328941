package direct

import (
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// drainTime bounds how long tbx relays output after the command's end:
// its pipes close when the helper has ended every process of the run, so
// this is only a guard against a helper that could not.
const drainTime = 2 * time.Second

// relay is the three pipes of a run without a terminal: the command gets
// their far ends, and tbx copies between them and the caller's streams.
// Nothing is read from the caller's stdin before the command has started,
// so that a refused run leaves it for the next attempt.
type relay struct {
	inR, inW   *os.File
	outR, outW *os.File
	errR, errW *os.File // nil when stdout and stderr are one file: one pipe keeps their order
	fed        bool     // feed owns inW
	wg         sync.WaitGroup
}

func newRelay(st Streams) (*relay, error) {
	rl := &relay{}
	var err error
	if rl.inR, rl.inW, err = pipe(); err != nil {
		return nil, err
	}
	if rl.outR, rl.outW, err = pipe(); err != nil {
		rl.close()
		return nil, err
	}
	if !sameFile(st.Out, st.Err) {
		if rl.errR, rl.errW, err = pipe(); err != nil {
			rl.close()
			return nil, err
		}
	}
	return rl, nil
}

// pipeSize is what each relayed pipe holds: the most an unprivileged
// process may ask for by default, so that a stream of data wakes tbx and
// the command 16 times less often than with the kernel's 64 KiB.
const pipeSize = 1 << 20

func pipe() (r, w *os.File, err error) {
	if r, w, err = os.Pipe(); err == nil {
		_, _ = unix.FcntlInt(w.Fd(), unix.F_SETPIPE_SZ, pipeSize) // a smaller pipe only costs speed
	}
	return r, w, err
}

// theirs are the command's stdin, stdout and stderr, then the read ends
// of its output, which the helper drains only once tbx is gone.
func (rl *relay) theirs() []*os.File {
	if rl == nil {
		return nil
	}
	errW, errR := rl.errW, rl.errR
	if errW == nil {
		errW, errR = rl.outW, rl.outR
	}
	return []*os.File{rl.inR, rl.outW, errW, rl.outR, errR}
}

// sent closes tbx's copies of the command's ends, once the helper has
// them (or will never have them): the pipes then end with the command.
func (rl *relay) sent() {
	if rl == nil {
		return
	}
	closeAll([]*os.File{rl.inR, rl.outW, rl.errW})
}

// start copies the caller's stdin to the command and its output to the
// caller's streams; broken is called when the caller's reader went away,
// as a broken pipe, so that the command meets one too. The returned
// function waits for the output to end.
func (rl *relay) start(st Streams, broken func()) (drained func()) {
	rl.fed = true
	go rl.feed(rl.inW, st.In)
	done := make(chan struct{})
	rl.wg.Add(1)
	go rl.copyOut(st.Out, rl.outR, broken)
	if rl.errR != nil {
		rl.wg.Add(1)
		go rl.copyOut(st.Err, rl.errR, broken)
	}
	go func() {
		rl.wg.Wait()
		close(done)
	}()
	return func() {
		select {
		case <-done:
		case <-time.After(drainTime):
		}
	}
}

// feed copies in to the command's stdin, then closes it: EOF reaches the
// command. A command that ends first leaves the copy to fail on its
// closed pipe.
func (rl *relay) feed(w *os.File, in io.Reader) {
	if in != nil {
		_, _ = copyStream(w, in)
	}
	_ = w.Close()
}

func (rl *relay) copyOut(w io.Writer, r *os.File, broken func()) {
	defer rl.wg.Done()
	_, err := copyStream(w, r)
	if errors.Is(err, syscall.EPIPE) {
		broken()
		_, _ = io.Copy(io.Discard, r)
	}
}

// spliceChunk is how much one splice(2) moves at most.
const spliceChunk = 1 << 20

// copyStream copies src to dst until src ends. Between two files, one of
// them a relay's pipe, the kernel moves the data (splice(2)), never tbx's
// memory; where the other file cannot splice (a terminal), and between
// anything else, it copies as io.Copy does, by plain writes.
func copyStream(dst io.Writer, src io.Reader) (int64, error) {
	df, ok := dst.(*os.File)
	sf, ok2 := src.(*os.File)
	if !ok || !ok2 {
		return io.Copy(struct{ io.Writer }{dst}, src)
	}
	var total int64
	for {
		n, err := unix.Splice(int(sf.Fd()), nil, int(df.Fd()), nil, spliceChunk, unix.SPLICE_F_MOVE)
		if err == unix.EINTR {
			continue
		}
		if total == 0 && (err == unix.EINVAL || err == unix.ENOSYS) {
			return io.Copy(struct{ io.Writer }{dst}, src) // a file that cannot splice
		}
		if err != nil {
			return total, err
		}
		if n == 0 {
			return total, nil
		}
		total += n
	}
}

// close closes every end tbx still holds; the stdin end stays with feed
// once it copies.
func (rl *relay) close() {
	if !rl.fed {
		_ = rl.inW.Close()
	}
	closeAll([]*os.File{rl.inR, rl.outW, rl.errW, rl.outR, rl.errR}) // those sent are closed already: a second Close does nothing
}

// sameFile reports whether a and b are one open file (2>&1): the same
// device and inode.
func sameFile(a, b io.Writer) bool {
	fa, ok1 := a.(*os.File)
	fb, ok2 := b.(*os.File)
	if !ok1 || !ok2 {
		return false
	}
	var sa, sb unix.Stat_t
	if unix.Fstat(int(fa.Fd()), &sa) != nil || unix.Fstat(int(fb.Fd()), &sb) != nil {
		return false
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino
}
