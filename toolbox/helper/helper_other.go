//go:build !linux

package helper

import (
	"fmt"
	"os"
)

// The helper runs in Linux containers only; a tbx built for another system
// mounts tbx-warm, or a Linux tbx, in its warm containers.

func initMain([]string) int   { return notLinux() }
func execMain([]string) int   { return notLinux() }
func startMain([]string) int  { return notLinux() }
func signalMain([]string) int { return notLinux() }
func statusMain() int         { return notLinux() }
func ranMain([]string) int    { return notLinux() }
func reapMain() int           { return notLinux() }

func notLinux() int {
	fmt.Fprintln(os.Stderr, "tbx: the warm helper runs in Linux containers only")
	return 125
}
