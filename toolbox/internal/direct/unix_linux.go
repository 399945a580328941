package direct

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Socket is the socket's name in the directory the helper serves.
const Socket = "sock"

// maxRights is how many descriptors one read makes room for: more than a
// request may carry, so that one with too many is seen and refused.
const maxRights = 8

// Conn is a connection to a warm container's helper.
type Conn struct {
	c *Sock
}

// Dial connects to the helper's socket in dir. It goes through the
// directory's descriptor, so that a state directory deeper than a socket
// address allows (108 bytes) still works.
func Dial(dir string) (*Conn, error) {
	d, err := os.OpenFile(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	addr := "/proc/self/fd/" + strconv.Itoa(int(d.Fd())) + "/" + Socket
	if _, err := os.Stat(addr); err != nil {
		addr = filepath.Join(dir, Socket) // no /proc
	}
	c, err := dialSocket(addr)
	if err != nil {
		return nil, err
	}
	return &Conn{c: c}, nil
}

// Close closes a connection that will not run anything.
func (c *Conn) Close() { _ = c.c.Close() }

// CheckServer checks, before anything is sent, that the process serving
// the socket is pid, the warm container's helper as the Engine reported
// it: a process that took the socket's place gets nothing.
func (c *Conn) CheckServer(pid int) error {
	cred, err := c.c.PeerCred()
	if err != nil {
		return fmt.Errorf("asking who serves the warm helper's socket: %w", err)
	}
	if pid <= 0 || int(cred.Pid) != pid {
		return &ServerError{Server: int(cred.Pid), Helper: pid}
	}
	return nil
}

// ServerError says that the socket is served by another process than the
// container's helper.
type ServerError struct{ Server, Helper int }

func (e *ServerError) Error() string {
	return fmt.Sprintf("the warm helper's socket is served by pid %d, not by the container's helper (pid %d)", e.Server, e.Helper)
}

// Rights is the control message that passes files (SCM_RIGHTS); nil for
// none.
func Rights(files []*os.File) []byte {
	if len(files) == 0 {
		return nil
	}
	fds := make([]int, len(files))
	for i, f := range files {
		fds[i] = int(f.Fd())
	}
	return unix.UnixRights(fds...)
}

// RefusedError is a helper's refusal of a request.
type RefusedError struct{ Refusal }

func (e *RefusedError) Error() string { return "the warm helper refused the run: " + e.Reason }

// Session is a command started through a helper.
type Session struct {
	Master *os.File // the terminal's master, on a TTY
	conn   *Sock
	r      io.Reader
	mu     sync.Mutex
}

// Start sends req, with files (stdin, stdout, stderr; none on a TTY), and
// reads the helper's answer: a running Session, or a *RefusedError. Any
// other error leaves it unknown whether the command started.
func (c *Conn) Start(req Request, files []*os.File) (*Session, error) {
	frame, err := EncodeRequest(req)
	if err != nil {
		return nil, err
	}
	if err := c.c.WriteMsg(frame, Rights(files)); err != nil {
		// A helper that refuses at once may have said why before closing.
		if typ, payload, rerr := ReadFrame(c.c); rerr == nil && typ == TypeRefused {
			return nil, &RefusedError{DecodeRefusal(payload)}
		}
		return nil, fmt.Errorf("sending the run to the warm helper: %w", err)
	}
	data, got, err := ReadWithRights(c.c)
	if err != nil {
		return nil, fmt.Errorf("reading the warm helper's answer: %w", err)
	}
	s := &Session{conn: c.c, r: io.MultiReader(bytes.NewReader(data), c.c)}
	typ, payload, err := ReadFrame(s.r)
	if err != nil {
		closeAll(got)
		return nil, fmt.Errorf("reading the warm helper's answer: %w", unexpected(err))
	}
	switch typ {
	case TypeRefused:
		closeAll(got)
		return nil, &RefusedError{DecodeRefusal(payload)}
	case TypeStarted:
	default:
		closeAll(got)
		return nil, fmt.Errorf("the warm helper answered with a frame of type %q", typ)
	}
	if req.TTY {
		if len(got) != 1 {
			closeAll(got)
			return s, fmt.Errorf("the warm helper sent %d terminal descriptors, not one", len(got))
		}
		s.Master = got[0]
	} else {
		closeAll(got)
	}
	return s, nil
}

// Signal asks the helper to deliver sig to the command.
func (s *Session) Signal(sig syscall.Signal) error {
	if sig <= 0 || sig > 255 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return WriteFrame(s.conn, TypeSignal, []byte{byte(sig)})
}

// Wait returns the command's exit code once the helper sends it.
func (s *Session) Wait() (int, error) {
	for {
		typ, payload, err := ReadFrame(s.r)
		if err != nil {
			return 0, fmt.Errorf("the warm helper went away before the command's end: %w", unexpected(err))
		}
		if typ == TypeExit && len(payload) == 1 {
			return int(payload[0]), nil
		}
	}
}

// Close ends the session; a command still running gets SIGHUP, as when a
// terminal goes away.
func (s *Session) Close() {
	_ = s.conn.Close()
	if s.Master != nil {
		_ = s.Master.Close()
	}
}

// ReadWithRights reads what c has ready, with the descriptors that came
// with it; more than maxRights, or a truncated set, is an error, and the
// descriptors that came are closed.
func ReadWithRights(c *Sock) ([]byte, []*os.File, error) {
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(maxRights*4))
	n, oobn, flags, err := c.ReadMsg(buf, oob)
	if err != nil {
		return nil, nil, err
	}
	files, perr := parseRights(oob[:oobn])
	if flags&unix.MSG_CTRUNC != 0 {
		perr = errors.Join(perr, errors.New("more descriptors than a request carries"))
	}
	if perr != nil {
		closeAll(files)
		return nil, nil, perr
	}
	if n == 0 {
		closeAll(files)
		return nil, nil, io.ErrUnexpectedEOF
	}
	return buf[:n], files, nil
}

func parseRights(oob []byte) ([]*os.File, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var files []*os.File
	var bad error
	for _, m := range msgs {
		fds, err := unix.ParseUnixRights(&m)
		if err != nil {
			bad = err
			continue
		}
		for _, fd := range fds {
			unix.CloseOnExec(fd)
			files = append(files, os.NewFile(uintptr(fd), "fd"+strconv.Itoa(fd)))
		}
	}
	return files, bad
}

// closeAll closes files; a nil one, or one closed already, is passed over.
func closeAll(files []*os.File) {
	for _, f := range files {
		_ = f.Close()
	}
}

// PeerUID is the uid of the process at the other end of c, as the kernel
// says (SO_PEERCRED).
func PeerUID(c *Sock) (uint32, error) {
	cred, err := c.PeerCred()
	if err != nil {
		return 0, err
	}
	return cred.Uid, nil
}

// SendStarted tells tbx that the command runs, with the terminal's master
// when it has one.
func SendStarted(c *Sock, master *os.File) error {
	var files []*os.File
	if master != nil {
		files = append(files, master)
	}
	return c.WriteMsg(AppendFrame(nil, TypeStarted, nil), Rights(files))
}

// SendRefusal refuses a request.
func SendRefusal(w io.Writer, reason string, retry bool) error {
	return Refuse(w, Refusal{Reason: reason, Retry: retry})
}

// Refuse sends r.
func Refuse(w io.Writer, r Refusal) error {
	_, err := w.Write(EncodeRefusal(r))
	return err
}

// SendExit sends the command's exit code.
func SendExit(w io.Writer, code int) error {
	return WriteFrame(w, TypeExit, []byte{byte(code)})
}
