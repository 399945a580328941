//go:build !linux

package front

// SpareCommand is the hidden command of tbx's core that makes a spare.
const SpareCommand = "__spare"

// MakeSpare makes none off Linux: a spare is served through the helper's
// socket on the Engine's host, which is this one only on Linux.
func MakeSpare(core, tool, command string, tty bool, flags []string) {}
