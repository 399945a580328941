package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
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

// GoTool builds the command at pkg, of the module version version, from the
// Go module proxy into a cache that outlives the run (under the user's
// cache directory), once, and returns its path. A test that cannot build
// it fails, saying why; under -short, which stays offline, a test whose
// tool is not built yet is skipped.
func GoTool(t testing.TB, pkg, version string) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "tbx-test", "tools", strings.ReplaceAll(pkg, "/", "_")+"@"+version)
	bin := filepath.Join(dir, path.Base(pkg))
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if testing.Short() {
		t.Skipf("%s@%s is not built yet, and -short fetches nothing from the Go module proxy (the full suite builds it)", pkg, version)
	}
	install := exec.Command("go", "install", pkg+"@"+version)
	install.Dir = os.TempDir() // outside this module: the tool's own go.mod decides
	install.Env = append(os.Environ(), "GOBIN="+dir, "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("building %s@%s from the Go module proxy: %v\n%s", pkg, version, err, out)
	}
	return bin
}

// MakingSpare reports whether a tbx from binDir is making a spare: its
// core runs the hidden command that makes one, in the background.
func MakingSpare(binDir string) bool {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), "\x00__spare\x00") && strings.Contains(string(b), binDir) {
			return true
		}
	}
	return false
}
