package shims

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestInstallRemoveExactly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bin") // made by Install
	written, err := Install(dir, "/opt/it's/tbx", []string{"az", "ansible-playbook"})
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != 2 {
		t.Fatalf("written: %v", written)
	}
	if target, err := os.Readlink(filepath.Join(dir, "az")); err != nil || target != "/opt/it's/tbx" {
		t.Errorf("the shim of az leads to %q (%v); want tbx itself", target, err)
	}
	own := filepath.Join(dir, "mytool")
	if err := os.WriteFile(own, []byte("#!/bin/sh\necho mine\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Install(dir, "/tbx", []string{"mytool"}); err == nil || !strings.Contains(err.Error(), "is not a tbx shim") {
		t.Errorf("overwrote a file that is not a shim: %v", err)
	}
	// The user's own link to tbx, and a link of that name elsewhere, are
	// not shims: remove leaves them.
	mine, elsewhere := filepath.Join(dir, "tbx"), filepath.Join(dir, "kubectl")
	if err := os.Symlink("/opt/tbx/bin/tbx", mine); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/usr/bin/kubectl", elsewhere); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "jq") // a shim script of an earlier tbx
	if err := os.WriteFile(old, []byte(ScriptFor("linux", "/tbx", "jq")), 0o755); err != nil {
		t.Fatal(err)
	}
	removed, err := Remove(dir)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(removed)
	if len(removed) != 3 || filepath.Base(removed[0]) != "ansible-playbook" || filepath.Base(removed[1]) != "az" || filepath.Base(removed[2]) != "jq" {
		t.Errorf("removed %v", removed)
	}
	for _, p := range []string{own, mine, elsewhere} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("remove took %s, which is not a shim", p)
		}
	}
}

// A shim installed over an earlier tbx's script becomes a link.
func TestInstallReplacesAnOlderShim(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "az")
	if err := os.WriteFile(old, []byte(ScriptFor("linux", "/old/tbx", "az")), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Install(dir, "/new/tbx", []string{"az"}); err != nil {
		t.Fatal(err)
	}
	if target, err := os.Readlink(old); err != nil || target != "/new/tbx" || !IsShim(old) {
		t.Errorf("the new shim leads to %q (%v)", target, err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Errorf("install left %d entries", len(left))
	}
}

// A link to a binary not named tbx would not be known as a shim again
// (remove would leave it): install refuses it, saying what to do.
func TestShimsLinkOnlyToTbx(t *testing.T) {
	dir := t.TempDir()
	if _, err := Install(dir, "/tmp/go-build1/exe/mytbx", []string{"az"}); err == nil || !strings.Contains(err.Error(), "is not named tbx") {
		t.Errorf("a link to mytbx: %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("the refused install left %d entries", len(left))
	}
}

// A call through a shim link reads as `tbx shim COMMAND …`; tbx called by
// its own name, as the front or the core, stays itself.
func TestInvokedThroughALink(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{[]string{"/home/me/.local/bin/az", "vm", "list"}, []string{"tbx", "shim", "az", "vm", "list"}},
		{[]string{"kubectl"}, []string{"tbx", "shim", "kubectl"}},
		{[]string{"/usr/local/bin/tbx", "run", "az"}, []string{"/usr/local/bin/tbx", "run", "az"}},
		{[]string{"tbx-core", "ls"}, []string{"tbx-core", "ls"}},
		{[]string{"tbx.exe", "ls"}, []string{"tbx.exe", "ls"}},
	} {
		if got := Invoked(tc.in); strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNextBinarySkipsShims(t *testing.T) {
	shimDir, realDir, emptyDir := t.TempDir(), t.TempDir(), t.TempDir()
	if _, err := Install(shimDir, "/tbx", []string{"az"}); err != nil {
		t.Fatal(err)
	}
	path := strings.Join([]string{emptyDir, shimDir, realDir}, string(os.PathListSeparator))
	if _, ok := NextBinary("az", path, ""); ok {
		t.Fatal("found a binary where there are only shims")
	}
	real := filepath.Join(realDir, "az")
	if err := os.WriteFile(real, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, ok := NextBinary("az", path, ""); !ok || got != real {
		t.Errorf("NextBinary = %q, %v; want %q", got, ok, real)
	}
	if !OnPath(shimDir, path) || OnPath("/nowhere", path) {
		t.Error("OnPath")
	}
}

func TestScriptForEverySystem(t *testing.T) {
	for _, c := range []struct {
		goos, tbx, name string
		file            string
		has             []string
	}{
		{"linux", "/home/me/bin/tbx", "az", "az", []string{"#!/bin/sh\n", "exec '/home/me/bin/tbx' shim 'az' \"$@\"\n"}},
		{"darwin", "/Users/me/go/bin/tbx", "kubectl", "kubectl", []string{"exec '/Users/me/go/bin/tbx' shim 'kubectl' \"$@\"\n"}},
		{"windows", `C:\Users\me\go\bin\tbx.exe`, "az", "az.cmd", []string{"@echo off\r\n", `"C:\Users\me\go\bin\tbx.exe" shim az %*` + "\r\n", "exit /b %ERRORLEVEL%\r\n"}},
	} {
		script := ScriptFor(c.goos, c.tbx, c.name)
		if FileName(c.goos, c.name) != c.file {
			t.Errorf("%s: shim file %q, want %q", c.goos, FileName(c.goos, c.name), c.file)
		}
		if lines := strings.SplitN(script, "\n", 3); len(lines) < 3 || !strings.Contains(lines[1], Marker) {
			t.Errorf("%s: the marker is not on the second line:\n%s", c.goos, script)
		}
		for _, h := range c.has {
			if !strings.Contains(script, h) {
				t.Errorf("%s: no %q in\n%s", c.goos, h, script)
			}
		}
	}
}

func TestNextBinaryOnWindowsTriesPATHEXT(t *testing.T) {
	shimDir, realDir := t.TempDir(), t.TempDir()
	// A tbx shim on Windows is az.cmd; the real Azure CLI is az.cmd too,
	// and git is git.exe, with no executable bit.
	if err := os.WriteFile(filepath.Join(shimDir, "az.cmd"), []byte(ScriptFor("windows", `C:\tbx.exe`, "az")), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"az.cmd", "git.exe", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(realDir, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := strings.Join([]string{shimDir, realDir}, string(os.PathListSeparator))
	for _, c := range []struct {
		command, pathext, want string
	}{
		{"az", "", filepath.Join(realDir, "az.cmd")},
		{"git", ".COM;.EXE;.BAT;.CMD", filepath.Join(realDir, "git.exe")},
		{"git.exe", "", filepath.Join(realDir, "git.exe")},
		{"git", ".CMD", ""}, // not an extension PATHEXT names
		{"notes", "", ""},   // .txt is no program
		{"az.cmd", ".cmd", filepath.Join(realDir, "az.cmd")},
	} {
		got, ok := NextBinaryFor("windows", c.command, path, c.pathext)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("NextBinaryFor(windows, %q, PATHEXT=%q) = %q, %v; want %q", c.command, c.pathext, got, ok, c.want)
		}
	}
	// Elsewhere a file without the executable bit is not a program.
	if got, ok := NextBinaryFor("linux", "git.exe", path, ""); ok {
		t.Errorf("on Linux a file without the executable bit was taken: %s", got)
	}
}

// Missing names the commands without a shim where the recipe's others
// are, and nothing where none is.
func TestMissingShims(t *testing.T) {
	dir := t.TempDir()
	if m := Missing(dir, []string{"az", "jq"}); m != nil {
		t.Errorf("no shim installed, yet missing %v", m)
	}
	if _, err := Install(dir, "/usr/local/bin/tbx", []string{"az"}); err != nil {
		t.Fatal(err)
	}
	if m := Missing(dir, []string{"jq", "az", "kubectl"}); len(m) != 2 || m[0] != "jq" || m[1] != "kubectl" {
		t.Errorf("missing %v; want jq and kubectl", m)
	}
}
