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
	want := "tbx: command not found in the image: exec: \"other\": executable file not found in $PATH\n"
	if code := startFailure(&out, "other", &exec.Error{Name: "other", Err: exec.ErrNotFound}); code != 127 || out.String() != want {
		t.Errorf("a command that is nowhere: %d %q", code, out.String())
	}
	// The reaper looks the command up on the run's own PATH: what it says
	// of one that is nowhere is what a throwaway run says.
	out.Reset()
	_, err = lookPath("other", []string{"PATH=" + dir})
	if code := startFailure(&out, "other", err); code != 127 || out.String() != want {
		t.Errorf("a warm run's command that is nowhere: %d %q, want %q", code, out.String(), want)
	}
}
