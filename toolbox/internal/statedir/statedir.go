// Package statedir is where tbx keeps what it must remember per user: the
// tools' HOMEs, their passwd files and the trust store. Every directory it
// makes is the user's alone (0700).
package statedir

import (
	"fmt"
	"os"
	"path/filepath"
)

// Dir is $XDG_STATE_HOME/tbx, or ~/.local/state/tbx.
func Dir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "tbx"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the home directory for tbx's state: %w", err)
	}
	return filepath.Join(home, ".local", "state", "tbx"), nil
}

// Mkdir makes dir and its missing parents, readable by the user only, and
// takes away others' access to dir if it already existed.
func Mkdir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}
