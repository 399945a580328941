package front

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/tbx-dev/tbx/toolbox/internal/version"
)

// SpareCommand is the hidden command of tbx's core that makes a spare.
const SpareCommand = "__spare"

// MakeSpare has tbx's core at core make the spare for the next run of
// command (a command of tool), with or without a terminal, in the
// background: a process of a session of its own, with none of the
// caller's streams, that outlives the caller's tbx. flags are the global
// flags the call was given (the Engine's); what it says goes to the file
// SpareLog names in tbx's state directory state.
func MakeSpare(core, state, tool, command string, tty bool, flags []string) {
	since := strconv.FormatInt(time.Now().UnixNano(), 10) // a gc after this wins over the maker
	args := append(append([]string{}, flags...), SpareCommand, tool, command, strconv.FormatBool(tty), since)
	cmd := exec.Command(core, args...)
	cmd.Env = append(os.Environ(), version.FrontVar+"="+version.ID())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if log, err := os.OpenFile(filepath.Join(state, SpareLog), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600); err == nil {
		defer log.Close()
		cmd.Stdout, cmd.Stderr = log, log
	}
	if cmd.Start() == nil {
		_ = cmd.Process.Release()
	}
}

// SpareLog is the file, in tbx's state directory, where the last spare's
// maker says why it made none.
const SpareLog = "spare.log"
