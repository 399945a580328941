package front

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// CoreName is the file name of tbx's core, which lies next to tbx.
func CoreName() string {
	if runtime.GOOS == "windows" {
		return "tbx-core.exe"
	}
	return "tbx-core"
}

// NextTo is the front's path beside the core at core: tbx is installed
// whole, its binaries side by side.
func NextTo(core string) string {
	if runtime.GOOS == "windows" {
		return filepath.Join(filepath.Dir(core), "tbx.exe")
	}
	return filepath.Join(filepath.Dir(core), "tbx")
}

// corePath is the core next to this binary.
func corePath() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding tbx's own binary: %w", err)
	}
	if real, err := filepath.EvalSymlinks(self); err == nil {
		self = real
	}
	path := filepath.Join(filepath.Dir(self), CoreName())
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("%s is missing next to %s: install tbx whole (scripts/install.sh in a tbx checkout)", CoreName(), self)
	}
	return path, nil
}
