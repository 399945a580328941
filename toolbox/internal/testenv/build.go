package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BuildTbx builds a static tbx with tbx-core and tbx-warm next to it, as an install has
// them, into a new directory that every user may read (for the tests that
// run tbx as another user), and returns the directory; the caller removes
// it. It is for TestMain, which has no testing.T.
func BuildTbx() (string, error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	dir, err := os.MkdirTemp("", "tbx-bin-")
	if err != nil {
		return "", err
	}
	_ = os.Chmod(dir, 0o755)
	build := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./cmd/...")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("building tbx: %w", err)
	}
	return dir, nil
}
