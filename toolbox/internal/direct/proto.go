// Package direct is tbx's own protocol for starting a command in a warm
// container without the Engine: tbx connects to a unix socket that the
// container's helper serves, sends one request with its stdin, stdout and
// stderr as descriptors (SCM_RIGHTS), and reads back that the command
// started (with the terminal's master when it has one) and, at its end, its
// exit code. While it runs, tbx sends the signals it receives.
//
// Every message is a frame: one byte of type, four of big-endian length,
// then the payload. A request's payload is JSON and carries the protocol's
// version; a helper refuses a version it does not speak, and tbx then
// takes the Engine's exec path.
package direct

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Version is the protocol's version: 2 passes pipes and their read ends.
const Version = 2

// Frame types.
const (
	TypeRequest = 'R' // tbx → helper: a Request, with the descriptors
	TypeSignal  = 'S' // tbx → helper: one byte, the signal's number
	TypeStarted = 'A' // helper → tbx: the command runs (the master rides along on a TTY)
	TypeRefused = 'N' // helper → tbx: a Refusal; the command did not and will not run
	TypeExit    = 'X' // helper → tbx: one byte, the command's exit code
)

// MaxPayload bounds a frame: an argv and environment beyond it are refused
// (Linux's own limit for both together is 2 MiB by default).
const MaxPayload = 4 << 20

// Request is one command to start.
type Request struct {
	Version int      `json:"v"`
	Argv    []string `json:"argv"`
	Env     []string `json:"env"`  // over the container's own environment
	Dir     string   `json:"dir"`  // the working directory, absolute
	User    string   `json:"user"` // uid[:gid], as the helper must run it
	TTY     bool     `json:"tty"`  // allocate a terminal: descriptors are not passed
	Rows    uint16   `json:"rows"` // its size
	Cols    uint16   `json:"cols"`
	// Launcher is the pid@host of the tbx that sent it, so that gc can
	// tell a run whose tbx is gone.
	Launcher string `json:"launcher"`
}

// Launcher is process pid of host as a request names it: pid@host.
func Launcher(pid int, host string) string {
	return fmt.Sprintf("%d@%s", pid, host)
}

// Refusal says why a helper did not run a request. Retry is true when the
// container is stopping: the run goes to a new one. Fatal is true when the
// container must not run anything (its mounts are not what tbx checked):
// tbx removes it and refuses the run; both are true when a command spoiled
// the container, not the run: tbx removes it and the run goes to a new
// one.
type Refusal struct {
	Reason string `json:"reason"`
	Retry  bool   `json:"retry"`
	Fatal  bool   `json:"fatal,omitempty"`
}

// Descriptors is how many descriptors a request without a terminal
// carries: the command's stdin, stdout and stderr (pipes of tbx's, never
// the caller's own files), then the read ends of its stdout and stderr,
// which the helper drains once tbx has gone, as the Engine does with a
// throwaway container's output: a command hung up is not also given a
// broken pipe.
const Descriptors = 5

// WriteFrame writes one frame.
func WriteFrame(w io.Writer, typ byte, payload []byte) error {
	_, err := w.Write(AppendFrame(nil, typ, payload))
	return err
}

// AppendFrame appends one frame to b.
func AppendFrame(b []byte, typ byte, payload []byte) []byte {
	b = append(b, typ, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(b[len(b)-4:], uint32(len(payload)))
	return append(b, payload...)
}

// ReadFrame reads one frame.
func ReadFrame(r io.Reader) (typ byte, payload []byte, err error) {
	var head [5]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(head[1:])
	if n > MaxPayload {
		return 0, nil, fmt.Errorf("a frame of %d bytes, over the %d allowed", n, MaxPayload)
	}
	// Read as it comes, not allocated up front: a peer that declares 4 MiB
	// and sends nothing costs nothing.
	payload, err = io.ReadAll(io.LimitReader(r, int64(n)))
	if err == nil && len(payload) < int(n) {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return 0, nil, unexpected(err)
	}
	return head[0], payload, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// EncodeRequest is a request's frame.
func EncodeRequest(req Request) ([]byte, error) {
	req.Version = Version
	payload, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("the command line and environment take %d bytes, over the %d a warm run takes", len(payload), MaxPayload)
	}
	return AppendFrame(nil, TypeRequest, payload), nil
}

// DecodeRequest reads a request's payload and checks it: the version, a
// command, an absolute working directory, and no NUL where the kernel
// takes C strings.
func DecodeRequest(payload []byte) (Request, error) {
	var req Request
	if err := json.Unmarshal(payload, &req); err != nil {
		return Request{}, fmt.Errorf("a malformed request: %w", err)
	}
	switch {
	case req.Version != Version:
		return Request{}, fmt.Errorf("protocol version %d; this helper speaks %d", req.Version, Version)
	case len(req.Argv) == 0 || req.Argv[0] == "":
		return Request{}, errors.New("a request with no command")
	case !path.IsAbs(req.Dir):
		return Request{}, fmt.Errorf("a working directory that is not absolute: %q", req.Dir)
	}
	if strings.ContainsAny(req.Launcher, "/\n\x00") {
		return Request{}, errors.New("a launcher that is not pid@host")
	}
	for _, s := range append(append([]string{req.Dir, req.User}, req.Argv...), req.Env...) {
		for i := 0; i < len(s); i++ {
			if s[i] == 0 {
				return Request{}, errors.New("a request with a NUL byte in a string")
			}
		}
	}
	return req, nil
}

// EncodeRefusal is a refusal's frame.
func EncodeRefusal(r Refusal) []byte {
	payload, _ := json.Marshal(r)
	return AppendFrame(nil, TypeRefused, payload)
}

// DecodeRefusal reads a refusal's payload; one that cannot be read is
// still a refusal, without a retry.
func DecodeRefusal(payload []byte) Refusal {
	var r Refusal
	if json.Unmarshal(payload, &r) != nil || r.Reason == "" {
		return Refusal{Reason: "refused"}
	}
	return r
}
