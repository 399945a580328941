package testenv

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// WithTbx is the TestMain of an end-to-end suite that runs tbx's binaries:
// it builds tbx, tbx-core and tbx-warm once, hands their directory to
// use, runs the tests and removes the binaries. Under -short it builds
// nothing and hands over nothing, unless inShort says some of the
// package's -short tests run them. It returns the code to exit with.
func WithTbx(m *testing.M, inShort bool, use func(dir string)) int {
	flag.Parse()
	if testing.Short() && !inShort {
		return m.Run()
	}
	dir, err := BuildTbx()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	use(dir)
	return m.Run()
}

// Result is what one command printed and returned.
type Result struct {
	Out, Err string
	Code     int
}

func (r Result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Out, r.Err)
}

// Run runs name with args in dir with env and no stdin, and returns what
// it did; a command that cannot be started fails the test.
func Run(t testing.TB, dir string, env []string, name string, args ...string) Result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env, cmd.Stdin = dir, env, nil
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := Result{Out: out.String(), Err: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return r
}
