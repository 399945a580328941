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

// What PID 1 and a run's reaper say on its control socket: the run's
// descriptors, the job, then the command's signals, a byte each, exactly
// (nothing between the job and the first signal that the reaper could
// take for one: an encoder's newline is SIGUSR1), the hangup, and, once
// the run is over, ctlOver, to which a reaper that takes another run
// answers ctlReady.
func TestTheControlSocketCarriesARunThenTheNext(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.SetNonblock(fds[0], true); err != nil { // as spawnReaper makes PID 1's end
		t.Fatal(err)
	}
	pid1, reaper := os.NewFile(uintptr(fds[0]), "pid1"), os.NewFile(uintptr(fds[1]), "reaper")
	defer pid1.Close()
	defer reaper.Close()
	stdin, stdout, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	defer stdout.Close()
	self, err := os.FindProcess(os.Getpid()) // the reaper hand has go on (SIGCONT): this process, unmoved by it
	if err != nil {
		t.Fatal(err)
	}
	r := &reaperHandle{ctl: pid1, proc: self}

	want := job{Argv: []string{"tool", "--flag"}, Dir: "/work", Env: []string{"A=1"}, UID: 1000, GID: 1000, Groups: []uint32{27}}
	if err := r.hand(want, []*os.File{stdin, stdout, stdout}); err != nil {
		t.Fatal(err)
	}
	h := &signaller{ctl: pid1}
	h.signal(syscall.SIGUSR2)
	h.signal(syscall.SIGTERM)
	h.say(ctlHangup)
	h.end()
	h.signal(syscall.SIGINT) // after the run: never sent
	again := make(chan bool, 1)
	go func() { again <- r.again() }()

	rights, err := receiveRights(reaper)
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range rights {
		_ = unix.Close(fd)
	}
	got, err := readJob(reaper)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Argv, want.Argv) || got.Dir != want.Dir || got.UID != want.UID || !slices.Equal(got.Groups, want.Groups) {
		t.Errorf("the reaper read the job %+v, want %+v", got, want)
	}
	var rest []byte
	b := make([]byte, 1)
	for len(rest) < 8 {
		if _, err := io.ReadFull(reaper, b); err != nil {
			t.Fatal(err)
		}
		if rest = append(rest, b[0]); b[0] == ctlOver {
			break
		}
	}
	if want := []byte{byte(syscall.SIGUSR2), byte(syscall.SIGTERM), ctlHangup, ctlOver}; !slices.Equal(rest, want) {
		t.Errorf("after the job the reaper read %v, want %v", rest, want)
	}
	if _, err := reaper.Write([]byte{ctlReady}); err != nil {
		t.Fatal(err)
	}
	if !<-again {
		t.Error("a reaper that said it takes another run was not kept")
	}
}

// A reaper that goes instead of saying it takes another run is not kept.
func TestAReaperThatGoesIsNotKept(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	_ = unix.SetNonblock(fds[0], true)
	pid1, reaper := os.NewFile(uintptr(fds[0]), "pid1"), os.NewFile(uintptr(fds[1]), "reaper")
	defer pid1.Close()
	_ = reaper.Close()
	if (&reaperHandle{ctl: pid1}).again() {
		t.Error("a reaper that is gone was kept")
	}
}

// A job without a command is refused, as a malformed one is.
func TestAJobWithoutACommandIsRefused(t *testing.T) {
	for _, in := range []string{"\x00\x00\x00\x0b{\"argv\":[]}", "\x00\x00\x00\x09{\"argv\":", "\xff\xff\xff\xff{}", ""} {
		if _, err := readJob(strings.NewReader(in)); err == nil {
			t.Errorf("the job %q was taken", in)
		}
	}
}

// A change of what a child would inherit (here a resource limit, as
// prlimit from another process changes it) makes a reaper's traits not
// the same as when it started.
func TestTraitsSeeALimitChanged(t *testing.T) {
	before := readTraits()
	if !before.same(readTraits()) {
		t.Fatal("the traits, read twice, differ")
	}
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < 2 {
		t.Skip("no soft limit to lower")
	}
	lower := lim
	lower.Cur--
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lower); err != nil {
		t.Fatal(err)
	}
	defer unix.Setrlimit(unix.RLIMIT_NOFILE, &lim)
	if before.same(readTraits()) {
		t.Error("a lowered limit went unseen")
	}
}
