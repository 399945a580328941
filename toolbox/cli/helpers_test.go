package cli

import (
	"bytes"
	"strings"
	"testing"

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
	code := Main(append([]string{"tbx"}, args...), strings.NewReader(""), &out, &errb)
	return result{out.String(), errb.String(), code}
}

// tbxIn runs tbx in dir with args and no stdin.
func tbxIn(t *testing.T, dir string, args ...string) result {
	t.Helper()
	t.Chdir(dir)
	return tbx(t, args...)
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

// mustTbx runs tbx and fails the test unless it exits 0.
func mustTbx(t *testing.T, args ...string) result {
	t.Helper()
	r := tbx(t, args...)
	if r.code != 0 {
		t.Fatalf("tbx %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.out, r.err)
	}
	return r
}
