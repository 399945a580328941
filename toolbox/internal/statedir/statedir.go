// Package statedir is where tbx keeps what it must remember per user: the
// tools' HOMEs, their passwd files and the trust store. Every directory it
// makes is the user's alone (0700).
package statedir

import (
	"errors"
	"os"
	"path/filepath"
)

// Dir is $XDG_STATE_HOME/tbx, or ~/.local/state/tbx: xdgStateHome is
// XDG_STATE_HOME's value, home the caller's home directory.
func Dir(xdgStateHome, home string) (string, error) {
	if filepath.IsAbs(xdgStateHome) {
		return filepath.Join(xdgStateHome, "tbx"), nil
	}
	if home == "" {
		return "", errors.New("no home directory for tbx's state: set HOME, or XDG_STATE_HOME to an absolute path")
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
