package helper

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A command that is on PATH but not executable exits 126, as a shell's
// does, and says where it is; one that is nowhere exits 127.
func TestAFileThatIsNotExecutableIs126(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tool"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	_, err := lookPath("tool", []string{"PATH=" + dir})
	if code := startFailure(&out, "tool", err); code != 126 || !strings.Contains(out.String(), "tool is in the image at "+filepath.Join(dir, "tool")+", but is not executable") {
		t.Errorf("a file on PATH that is not executable: %d %q", code, out.String())
	}
	t.Setenv("PATH", dir)
	out.Reset()
	if code := startFailure(&out, "tool", &exec.Error{Name: "tool", Err: exec.ErrNotFound}); code != 126 || strings.Count(out.String(), "\n") != 1 {
		t.Errorf("exec's not found, of a file on PATH that is not executable: %d %q", code, out.String())
	}
	out.Reset()
	if code := startFailure(&out, "other", &exec.Error{Name: "other", Err: exec.ErrNotFound}); code != 127 || out.String() != "tbx: command not found in the image: exec: \"other\": executable file not found in $PATH\n" {
		t.Errorf("a command that is nowhere: %d %q", code, out.String())
	}
}

// Where tbx said whose container it is, a command that does not start is
// said with its tool and image.
func TestUnrunnableNamesToolAndImage(t *testing.T) {
	for _, tc := range []struct {
		missing bool
		want    string
	}{
		{true, `tool jq: command not found in the image tbx/p/jq:0123: exec: "x": not found`},
		{false, `tool jq: command cannot be invoked in the image tbx/p/jq:0123: exec: "x": not found`},
	} {
		if got := Unrunnable(tc.missing, "jq", "tbx/p/jq:0123", `exec: "x": not found`); got != tc.want {
			t.Errorf("Unrunnable(%v) = %q, want %q", tc.missing, got, tc.want)
		}
	}
	if got := Unrunnable(true, "", "", "d"); got != "command not found in the image: d" {
		t.Errorf("with no tool: %q", got)
	}
}
