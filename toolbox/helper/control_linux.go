package helper

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// A reaper's control socket, between PID 1 and it, carries its runs one
// after another. For each, PID 1 sends the command's stdin, stdout and
// stderr (SCM_RIGHTS, on one byte), then the job (its length, 4 bytes,
// then JSON), then the command's signals, a byte each, ctlHangup should
// tbx go away, and ctlOver once it has the exit code. The reaper sends the
// exit code, a byte, once the command and all it left have ended, and
// ctlReady after ctlOver when it will take another run. Either end's
// close ends the reaper.
const (
	controlFd = 3    // the reaper's control socket
	ctlOver   = 0    // PID 1: the run is over, what follows is another's
	ctlHangup = 0xff // PID 1: tbx went away; the command is hung up
	ctlReady  = 0    // the reaper: it is as it was, and takes another run
	maxJob    = 8 << 20
)

// job is what PID 1 tells a run's reaper: the command, and who it runs
// as.
type job struct {
	Argv   []string `json:"argv"`
	Dir    string   `json:"dir"`
	Env    []string `json:"env"`
	UID    uint32   `json:"uid"`
	GID    uint32   `json:"gid"`
	Groups []uint32 `json:"groups"`
	TTY    bool     `json:"tty"`
}

// encodeJob is j as PID 1 sends it: its length, then its JSON.
func encodeJob(j job) ([]byte, error) {
	b, err := json.Marshal(j)
	if err != nil {
		return nil, err
	}
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...), nil
}

// readJob reads the job that follows a run's descriptors on ctl, and not
// a byte more: what follows is the command's signals.
func readJob(ctl io.Reader) (job, error) {
	var size [4]byte
	if _, err := io.ReadFull(ctl, size[:]); err != nil {
		return job{}, err
	}
	n := binary.BigEndian.Uint32(size[:])
	if n > maxJob {
		return job{}, fmt.Errorf("a job of %d bytes", n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(ctl, b); err != nil {
		return job{}, err
	}
	var j job
	if err := json.Unmarshal(b, &j); err != nil {
		return job{}, err
	}
	if len(j.Argv) == 0 {
		return job{}, errors.New("a job without a command")
	}
	return j, nil
}

// receiveStdio is the reaper's side of hand: it takes the command's
// stdin, stdout and stderr from the control socket and makes them its own
// 0, 1 and 2, so that what it says of a command that cannot start reaches
// the run's stderr.
func receiveStdio(ctl *os.File) error {
	fds, err := receiveRights(ctl)
	if err != nil {
		return err
	}
	for i, fd := range fds {
		if err := unix.Dup3(fd, i, 0); err != nil {
			return err
		}
		_ = unix.Close(fd)
	}
	return nil
}

// receiveRights takes the three descriptors a run's first byte carries
// on ctl, close-on-exec.
func receiveRights(ctl *os.File) ([]int, error) {
	oob := make([]byte, unix.CmsgSpace(3*4))
	_, oobn, _, _, err := unix.Recvmsg(int(ctl.Fd()), make([]byte, 1), oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, errors.New("no descriptors with the run")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 3 {
		return nil, fmt.Errorf("%d descriptors with the run, want 3", len(fds))
	}
	return fds, nil
}
