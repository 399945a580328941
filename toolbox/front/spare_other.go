//go:build !linux

package front

// SpareCommand is the hidden command of tbx's core that makes a spare.
const SpareCommand = "__spare"

// MakeSpare makes none off Linux: a spare is served through the helper's
// socket on the Engine's host, which is this one only on Linux.
func MakeSpare(core, state, tool, command string, tty bool, flags []string) {}

// SpareLog is the file, in tbx's state directory, where the last spare's
// maker says why it made none.
const SpareLog = "spare.log"
