package direct

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Sock is one end of a unix stream socket, held as a file. The protocol
// speaks through it, not through package net, so that the helper, which
// imports this package, links no net and so no cgo: it stays a static
// executable whatever CGO_ENABLED says.
type Sock struct {
	f  *os.File
	rc syscall.RawConn
}

func newSocket(fd int, name string) (*Sock, error) {
	f := os.NewFile(uintptr(fd), name) // non-blocking: the runtime's poller serves it
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Sock{f: f, rc: rc}, nil
}

func (s *Sock) Read(b []byte) (int, error)  { return s.f.Read(b) }
func (s *Sock) Write(b []byte) (int, error) { return s.f.Write(b) }

// Close closes the socket.
func (s *Sock) Close() error { return s.f.Close() }

// SetReadDeadline bounds the wait of the next reads.
func (s *Sock) SetReadDeadline(t time.Time) error { return s.f.SetReadDeadline(t) }

// WriteMsg writes b with the control message oob (descriptors).
func (s *Sock) WriteMsg(b, oob []byte) error {
	var serr error
	err := s.rc.Write(func(fd uintptr) bool {
		_, serr = unix.SendmsgN(int(fd), b, oob, nil, unix.MSG_NOSIGNAL)
		return serr != unix.EAGAIN
	})
	return errors.Join(err, serr)
}

// ReadMsg reads what is ready into b, and a control message into oob.
func (s *Sock) ReadMsg(b, oob []byte) (n, oobn, flags int, err error) {
	var serr error
	err = s.rc.Read(func(fd uintptr) bool {
		n, oobn, flags, _, serr = unix.Recvmsg(int(fd), b, oob, unix.MSG_CMSG_CLOEXEC)
		return serr != unix.EAGAIN
	})
	if err == nil {
		err = serr
	}
	return n, oobn, flags, err
}

// PeerCred is what the kernel says of the process at the other end: the
// one that connected, or the one that listened.
func (s *Sock) PeerCred() (*unix.Ucred, error) {
	var cred *unix.Ucred
	var cerr error
	err := s.rc.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	})
	if err == nil {
		err = cerr
	}
	return cred, err
}

// dialSocket connects to the unix socket at path.
func dialSocket(path string) (*Sock, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	// A unix socket connects at once, or says EAGAIN when its backlog is
	// full: a busy helper is one that does not answer.
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "dial", Path: path, Err: err}
	}
	return newSocket(fd, path)
}

// Listener is a listening unix socket.
type Listener struct{ s *Sock }

// Listen listens on a new unix socket at path, mode 0600.
func Listen(path string) (*Listener, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	if err := unix.Listen(fd, 64); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	s, err := newSocket(fd, path)
	if err != nil {
		return nil, err
	}
	return &Listener{s: s}, nil
}

// Accept waits for the next connection; after Close it fails.
func (l *Listener) Accept() (*Sock, error) {
	var nfd int
	var aerr error
	err := l.s.rc.Read(func(fd uintptr) bool {
		nfd, _, aerr = unix.Accept4(int(fd), unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK)
		return aerr != unix.EAGAIN
	})
	if err == nil {
		err = aerr
	}
	if err != nil {
		return nil, err
	}
	return newSocket(nfd, "conn")
}

// Close stops listening; the socket's file stays, for its directory's
// owner to judge by its age.
func (l *Listener) Close() error { return l.s.Close() }
