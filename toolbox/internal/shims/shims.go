// Package shims writes and removes the shims that make a plain `az` or
// `ansible-playbook` run through tbx, and finds the real binary a shim
// falls back to outside any toolbox project. A shim is a symbolic link to
// tbx named for the command, which tbx reads as `tbx shim COMMAND …`
// (Invoked): no shell starts between the caller and tbx. On Windows it is
// a .cmd file calling `tbx shim COMMAND`.
package shims

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/moby/sys/atomicwriter"
)

// Marker is on the second line of every shim script (Windows', and those
// of an earlier tbx), behind the script's comment sign: it is how tbx
// tells its own scripts from anything else in a directory.
const Marker = "tbx shim: written by `tbx shims install`, removed by `tbx shims remove`"

// Script is the shim for command on this system, calling the tbx binary at
// tbx.
func Script(tbx, command string) string { return ScriptFor(runtime.GOOS, tbx, command) }

// ScriptFor is the shim for command on the system goos: a shell script,
// or on Windows a .cmd file that passes on every argument and the exit code.
func ScriptFor(goos, tbx, command string) string {
	if goos == "windows" {
		return fmt.Sprintf("@echo off\r\nrem %s\r\n\"%s\" shim %s %%*\r\nexit /b %%ERRORLEVEL%%\r\n", Marker, tbx, command)
	}
	return fmt.Sprintf("#!/bin/sh\n# %s\nexec %s shim %s \"$@\"\n", Marker, shellQuote(tbx), shellQuote(command))
}

// FileName is the shim file's name for command on the system goos.
func FileName(goos, command string) string {
	if goos == "windows" {
		return command + ".cmd"
	}
	return command
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// IsShim reports whether the file at path is a tbx shim: a link named for
// a command (not tbx's own name) to a tbx binary, or a shim script.
func IsShim(path string) bool {
	if fi, err := os.Lstat(path); err != nil {
		return false
	} else if fi.Mode()&os.ModeSymlink != 0 {
		target, err := os.Readlink(path)
		return err == nil && !isTbx(filepath.Base(path)) && isTbx(filepath.Base(target))
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 256)
	n, _ := io.ReadFull(f, head)
	return bytes.Contains(head[:n], []byte(Marker))
}

// binaries are the names of tbx's own binaries, which a shim links to and
// which are never a shim themselves.
var binaries = []string{"tbx", "tbx-core"}

// isTbx reports whether name is one of tbx's own binaries' (with .exe).
func isTbx(name string) bool {
	return slices.Contains(binaries, strings.TrimSuffix(name, ".exe"))
}

// Invoked is the command line tbx was called with as tbx reads it: args
// itself, or, when it was called through a shim link (its name is not
// tbx's), `tbx shim NAME ARGS…`.
func Invoked(args []string) []string {
	if len(args) == 0 {
		return args
	}
	name := filepath.Base(args[0])
	if isTbx(name) {
		return args
	}
	return append([]string{"tbx", "shim", name}, args[1:]...)
}

// Missing lists the commands that have no shim in dir, when at least one
// of them has one there (the user installed the recipe's shims there); nil
// otherwise. A command added to the recipe after `tbx shims install` would
// run the host's binary of that name, or none.
func Missing(dir string, commands []string) []string {
	var missing []string
	some := false
	for _, c := range commands {
		if IsShim(filepath.Join(dir, FileName(runtime.GOOS, c))) {
			some = true
		} else {
			missing = append(missing, c)
		}
	}
	if !some {
		return nil
	}
	sort.Strings(missing)
	return missing
}

// Install writes one shim per command into dir, made if missing. It never
// overwrites a file that is not a tbx shim.
func Install(dir, tbx string, commands []string) ([]string, error) {
	if runtime.GOOS != "windows" && !isTbx(filepath.Base(tbx)) {
		return nil, fmt.Errorf("shims link to tbx by its name, and %s is not named tbx; install tbx whole (scripts/install.sh in a tbx checkout)", tbx)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("making %s: %w", dir, err)
	}
	sort.Strings(commands)
	for _, c := range commands {
		p := filepath.Join(dir, FileName(runtime.GOOS, c))
		if _, err := os.Lstat(p); err == nil && !IsShim(p) {
			return nil, fmt.Errorf("%s exists and is not a tbx shim; remove it or choose another --dir", p)
		}
	}
	var written []string
	for _, c := range commands {
		p := filepath.Join(dir, FileName(runtime.GOOS, c))
		write := writeLink
		if runtime.GOOS == "windows" {
			write = writeScript
		}
		if err := write(p, tbx, c); err != nil {
			return written, err
		}
		written = append(written, p)
	}
	return written, nil
}

// writeLink makes path a link to tbx, replacing whatever shim was there
// at once: a call through it never finds it missing.
func writeLink(path, tbx, _ string) error {
	tmp := path + ".tbx-tmp"
	_ = os.Remove(tmp)
	if err := os.Symlink(tbx, tmp); err != nil {
		return fmt.Errorf("writing shim %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing shim %s: %w", path, err)
	}
	return nil
}

// writeScript writes the shim script for command at path, whole.
func writeScript(path, tbx, command string) error {
	if err := atomicwriter.WriteFile(path, []byte(Script(tbx, command)), 0o755); err != nil {
		return fmt.Errorf("writing shim %s: %w", path, err)
	}
	return nil
}

// Remove deletes every tbx shim in dir and nothing else.
func Remove(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	var removed []string
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if (e.Type().IsRegular() || e.Type()&os.ModeSymlink != 0) && IsShim(p) {
			if err := os.Remove(p); err != nil {
				return removed, fmt.Errorf("removing shim %s: %w", p, err)
			}
			removed = append(removed, p)
		}
	}
	return removed, nil
}

// OnPath reports whether dir is one of PATH's entries.
func OnPath(dir, path string) bool {
	for _, d := range filepath.SplitList(path) {
		if filepath.Clean(d) == filepath.Clean(dir) {
			return true
		}
	}
	return false
}

// NextBinary finds command on path (PATH's value; pathext is PATHEXT's,
// for Windows), passing over tbx shims: what a shim runs outside any
// toolbox project.
func NextBinary(command, path, pathext string) (string, bool) {
	return NextBinaryFor(runtime.GOOS, command, path, pathext)
}

// NextBinaryFor is NextBinary on the system goos. On Windows, as cmd.exe
// looks, each directory is tried with each extension of pathext (PATHEXT;
// .COM;.EXE;.BAT;.CMD when it is empty), and files need no executable bit.
func NextBinaryFor(goos, command, path, pathext string) (string, bool) {
	names := []string{command}
	if goos == "windows" {
		names = windowsNames(command, pathext)
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			continue
		}
		for _, name := range names {
			p := filepath.Join(d, name)
			fi, err := os.Stat(p)
			if err != nil || fi.IsDir() || goos != "windows" && fi.Mode().Perm()&0o111 == 0 || IsShim(p) {
				continue
			}
			return p, true
		}
	}
	return "", false
}

// windowsNames are the file names command may have on Windows: itself when
// it has one of pathext's extensions, else itself with each of them.
func windowsNames(command, pathext string) []string {
	if pathext == "" {
		pathext = ".COM;.EXE;.BAT;.CMD"
	}
	var exts []string
	for _, e := range strings.Split(pathext, ";") {
		if e = strings.ToLower(strings.TrimSpace(e)); strings.HasPrefix(e, ".") {
			exts = append(exts, e)
		}
	}
	for _, e := range exts {
		if strings.HasSuffix(strings.ToLower(command), e) {
			return []string{command}
		}
	}
	names := make([]string, len(exts))
	for i, e := range exts {
		names[i] = command + e
	}
	return names
}
