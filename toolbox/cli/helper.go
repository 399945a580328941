package cli

import (
	"debug/elf"
	"os"
	"path/filepath"
	"runtime"

	"github.com/tbx-dev/tbx/toolbox/internal/project"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// warmHelper picks the binary a warm container runs as its helper, and
// says why: it runs inside Linux images of any libc, so it must be a static
// Linux executable. tbx-warm-linux-ARCH next to tbx first (what a macOS or
// Windows install adds), then tbx-warm, then tbx itself; a binary that is
// not a static Linux executable is passed over, with the reason kept.
func warmHelper() project.Helper {
	self, err := os.Executable()
	if err != nil {
		return project.Helper{Why: "the tbx binary cannot be found: " + err.Error()}
	}
	self = recipe.RealPath(self)
	dir := filepath.Dir(self)
	var passed []string
	for _, c := range []string{"tbx-warm-linux-" + runtime.GOARCH, "tbx-warm", filepath.Base(self)} {
		p := filepath.Join(dir, c)
		if !isExecutable(p) {
			continue
		}
		if why := staticLinux(p); why != "" {
			passed = append(passed, c+" "+why)
			continue
		}
		return project.Helper{Path: p, Why: "a static Linux executable next to tbx"}
	}
	why := "no static Linux tbx-warm next to tbx"
	for _, p := range passed {
		why += "; " + p
	}
	return project.Helper{Why: why + "; install tbx whole (scripts/install.sh in a tbx checkout), which puts it next to tbx"}
}

// staticLinux says why the executable at path cannot be a warm helper, or
// "" when it can: a Linux ELF file without a program interpreter.
func staticLinux(path string) string {
	f, err := elf.Open(path)
	if err != nil {
		return "is not a Linux executable"
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "is dynamically linked (built with cgo), so it runs only in images with its libc"
		}
	}
	return ""
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
