package helper

import (
	"io"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// What PID 1 says to a run's reaper on its control socket: the run's
// descriptors, the job, then the command's signals, a byte each, exactly:
// nothing between the job and the first signal that the reaper could
// take for one (an encoder's newline is SIGUSR1), and the socket's end
// once the run is over.
func TestTheControlSocketCarriesTheJobThenTheSignals(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	pid1, reaper := os.NewFile(uintptr(fds[0]), "pid1"), os.NewFile(uintptr(fds[1]), "reaper")
	defer reaper.Close()
	stdin, stdout, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	defer stdout.Close()

	want := job{Argv: []string{"tool", "--flag"}, Dir: "/work", Env: []string{"A=1"}, UID: 1000, GID: 1000, Groups: []uint32{27}}
	if err := (&idleReaper{ctl: pid1}).hand(want, []*os.File{stdin, stdout, stdout}); err != nil {
		t.Fatal(err)
	}
	h := &signaller{ctl: pid1}
	h.signal(syscall.SIGUSR2)
	h.signal(syscall.SIGTERM)
	h.end()
	h.signal(syscall.SIGINT) // after the run: never sent

	oob := make([]byte, unix.CmsgSpace(3*4))
	_, oobn, _, _, err := unix.Recvmsg(int(reaper.Fd()), make([]byte, 1), oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		t.Fatalf("the descriptors: %v, %d messages", err, len(msgs))
	}
	rights, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(rights) != 3 {
		t.Fatalf("%d descriptors with the run (%v), want 3", len(rights), err)
	}
	for _, fd := range rights {
		_ = unix.Close(fd)
	}
	got, signals, err := readJob(reaper)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Argv, want.Argv) || got.Dir != want.Dir || got.UID != want.UID || !slices.Equal(got.Groups, want.Groups) {
		t.Errorf("the reaper read the job %+v, want %+v", got, want)
	}
	rest, err := io.ReadAll(signals)
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{byte(syscall.SIGUSR2), byte(syscall.SIGTERM)}; !slices.Equal(rest, want) {
		t.Errorf("after the job the reaper read %v, want the signals %v and the end", rest, want)
	}
}

// A job without a command is refused, as a malformed one is.
func TestAJobWithoutACommandIsRefused(t *testing.T) {
	for _, in := range []string{`{"argv":[]}`, `{"argv":`, ``} {
		if _, _, err := readJob(strings.NewReader(in)); err == nil {
			t.Errorf("the job %q was taken", in)
		}
	}
}
