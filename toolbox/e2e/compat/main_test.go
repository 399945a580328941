//go:build linux

package compat

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// tbxBin is a static tbx with tbx-warm next to it, as an install has them.
var tbxBin string

func TestMain(m *testing.M) {
	// BuildTbx's directory is readable by the test's rootless user.
	os.Exit(testenv.WithTbx(m, true, func(dir string) { tbxBin = filepath.Join(dir, "tbx") }))
}

// caller is who runs tbx: its environment and, for another user, its
// credentials.
type caller struct {
	env  []string
	cred *syscall.Credential
}

// result is what one run of tbx printed and returned.
type result struct {
	out, err string
	code     int
}

// tbx runs tbx in dir with stdin as who.
func (who caller) tbx(t *testing.T, dir string, stdin io.Reader, args ...string) result {
	t.Helper()
	cmd := exec.Command(tbxBin, args...)
	cmd.Dir, cmd.Env, cmd.Stdin = dir, who.env, stdin
	if who.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: who.cred}
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

// must runs tbx and fails the test unless it exits 0.
func (who caller) must(t *testing.T, dir string, args ...string) result {
	t.Helper()
	r := who.tbx(t, dir, nil, args...)
	if r.code != 0 {
		t.Fatalf("tbx %q: exit %d\nstdout: %s\nstderr: %s", args, r.code, r.out, r.err)
	}
	return r
}

// with is who with more variables.
func (who caller) with(env ...string) caller {
	return caller{append(append([]string{}, who.env...), env...), who.cred}
}
