//go:build !windows

package commands

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tbx-dev/tbx/toolbox/cli"

	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// result is what one in-process run of tbx printed and returned.
type result struct {
	out, err string
	code     int
}

// tbx runs tbx in-process with args and no stdin.
func tbx(t testing.TB, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(append([]string{"tbx"}, args...), strings.NewReader(""), &out, &errb)
	return result{out.String(), errb.String(), code}
}

// mustTbx runs tbx and fails the test unless it exits 0.
func mustTbx(t *testing.T, args ...string) result {
	t.Helper()
	r := tbx(t, args...)
	if r.code != 0 {
		t.Fatalf("tbx %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.out, r.err)
	}
	return r
}

// mustTbxIn runs tbx in dir and fails the test unless it exits 0.
func mustTbxIn(t *testing.T, dir string, args ...string) result {
	t.Helper()
	r := tbxIn(t, dir, args...)
	if r.code != 0 {
		t.Fatalf("tbx %s in %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), dir, r.code, r.out, r.err)
	}
	return r
}

// writeFiles writes path → content below dir.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	testenv.WriteFiles(t, dir, files)
}

func eventTime(t time.Time) string {
	return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond())
}
