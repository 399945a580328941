// Package hostargs finds the host paths outside the project that a run's
// arguments and path variables name, so that the tool is given them as a
// local binary would have them: mounted at the same absolute path, for that
// run only, read-only unless the recipe lets the tool write. It reads the
// file system and nothing else.
package hostargs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Mode is what a tool may be given of the host beyond its project.
type Mode int

// The modes, as the recipe's host_paths names them.
const (
	Off   Mode = iota // "off": nothing (the default)
	Read              // "args": the paths named, read-only
	Write             // "args:rw": read-write, and the directory of an output that does not exist yet
)

// ParseMode reads host_paths's value.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "", "off":
		return Off, nil
	case "args":
		return Read, nil
	case "args:rw":
		return Write, nil
	}
	return Off, fmt.Errorf("%q is not one of \"off\" (the default), \"args\", \"args:rw\"", s)
}

// Path is a host path a run mounts at the path it was named by.
type Path struct {
	Named string // the absolute path as the argument or variable names it: where it is mounted
	Real  string // what it leads to once every link is followed: what is mounted
	Write bool
	From  string // the argument or variable that named it
	// Arg says an argument named it: a mount of one run alone. What a
	// variable names is the same from call to call while the variable
	// is, and a warm container may hold it.
	Arg bool
}

// ByArgs reports whether an argument named one of paths.
func ByArgs(paths []Path) bool {
	return slices.ContainsFunc(paths, func(p Path) bool { return p.Arg })
}

// Call is what a run's host paths are found in.
type Call struct {
	Args    []string // the command's arguments, after the command
	Environ []string // the caller's environment, NAME=VALUE
	PathEnv []string // the variables that name paths, each a colon-separated list
	Cwd     string   // the caller's working directory
	// Inside reports whether a path is in the container already (the
	// project): it is not mounted again.
	Inside func(path string) bool
	// Mode is what the arguments may give; the path variables give what
	// they name read-only, even with Off, or read-write with Write.
	Mode Mode
}

// Find lists the host paths c names outside what the container has, in
// the order named and without repeats or paths under another one listed.
// An argument that names, outside the project, a file that does not exist
// in a directory that does is an output: with Write, its directory is
// mounted read-write; else Find fails, saying which argument and how to
// allow it, rather than let the tool write it into its container.
func Find(c Call) ([]Path, error) {
	var out []Path
	for _, w := range words(c) {
		p, err := c.find(w)
		if err != nil {
			return nil, err
		}
		if p != nil {
			out = add(out, *p)
		}
	}
	return out, nil
}

// Unseen lists the arguments of c that name an existing host path outside
// the project, for a tool that may not be given them: what tbx tells the
// user, mounting nothing.
func Unseen(c Call) []string {
	c.Mode, c.PathEnv = Read, nil
	var out []string
	for _, w := range words(c) {
		if p, err := c.find(w); err == nil && p != nil && !slices.Contains(out, w.from) {
			out = append(out, w.from)
		}
	}
	return out
}

// word is a candidate: what may name a path, where it came from, and
// what it may give.
type word struct {
	value, from string
	mode        Mode
	arg         bool // an argument's, not a variable's
}

// words are the candidates of c: every argument (and the value of each
// --flag=VALUE) where the arguments may give paths, and each element of
// the path variables.
func words(c Call) []word {
	var out []word
	for _, a := range c.Args {
		if c.Mode == Off {
			break
		}
		for _, v := range Values(a) {
			out = append(out, word{v, "argument " + a, c.Mode, true})
		}
	}
	for _, name := range c.PathEnv {
		v, ok := lookup(c.Environ, name)
		if !ok {
			continue
		}
		for _, el := range filepath.SplitList(v) {
			out = append(out, word{el, "variable " + name, max(c.Mode, Read), false})
		}
	}
	return out
}

// Values are what an argument may name a path by: itself, the value of a
// --flag=VALUE, and either's file after an @ (curl's and az's @FILE).
func Values(arg string) []string {
	out := []string{arg}
	if _, v, ok := strings.Cut(arg, "="); ok && strings.HasPrefix(arg, "-") {
		out = append(out, v)
	}
	for _, v := range out {
		if f, ok := strings.CutPrefix(v, "@"); ok {
			out = append(out, f)
		}
	}
	return out
}

// Named reports whether a word names a path: absolute, or relative to the
// working directory by ./ or ../ (a bare word is a name, a subcommand or a
// file the working directory, in the project, has already).
func Named(w string) bool {
	return filepath.IsAbs(w) || strings.HasPrefix(w, "./") || strings.HasPrefix(w, "../") || w == ".."
}

// find is the path w names outside the container's view, or nil.
func (c Call) find(wd word) (*Path, error) {
	w, from := wd.value, wd.from
	if !Named(w) {
		return nil, nil
	}
	abs := w
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(c.Cwd, abs)
	}
	abs = filepath.Clean(abs)
	if c.Inside(abs) || System(abs) {
		return nil, nil
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		if c.Inside(real) || System(real) {
			return nil, nil
		}
		return &Path{Named: abs, Real: real, Write: wd.mode == Write, From: from, Arg: wd.arg}, nil
	}
	if _, err := os.Lstat(abs); !errors.Is(err, os.ErrNotExist) {
		return nil, nil // a dangling link or unreadable: the tool says so, as it would here
	}
	return c.output(abs, wd)
}

// output is the directory of abs, which does not exist, when it does: where
// the tool would write abs.
func (c Call) output(abs string, wd word) (*Path, error) {
	from, mode := wd.from, wd.mode
	dir := filepath.Dir(abs)
	real, err := filepath.EvalSymlinks(dir)
	if err != nil || c.Inside(real) || System(real) {
		return nil, nil // no such directory here either: the tool fails as it would here
	}
	if mode != Write && !wd.arg {
		return nil, nil // a variable may name a file a tool only reads if it is there
	}
	if mode != Write {
		return nil, fmt.Errorf("%s names %s, outside the project, which does not exist: the tool may only read host paths, so what it wrote there would be lost with its container; let it write with host_paths = \"args:rw\", or name a path in the project", from, abs)
	}
	return &Path{Named: dir, Real: real, Write: true, From: from, Arg: wd.arg}, nil
}

// add appends p to list unless it, or a directory above it, is there; a
// path under p that is there gives way to it.
func add(list []Path, p Path) []Path {
	for _, q := range list {
		if within(q.Named, p.Named) {
			return list
		}
	}
	list = slices.DeleteFunc(list, func(q Path) bool { return within(p.Named, q.Named) })
	return append(list, p)
}

// System reports whether path is where the image's own system lives (/,
// /etc, /usr, /proc, …): never mounted over, so a tool named /etc/hosts
// reads its image's, as a container does.
func System(path string) bool {
	if path == "/" {
		return true
	}
	for _, d := range []string{"/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/run", "/sbin", "/sys", "/usr", "/var/run", "/var/lib/docker"} {
		if within(d, path) {
			return true
		}
	}
	return false
}

// within reports whether path is dir or under it.
func within(dir, path string) bool {
	return path == dir || strings.HasPrefix(path, strings.TrimSuffix(dir, "/")+"/")
}

func lookup(environ []string, name string) (string, bool) {
	for i := len(environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(environ[i], "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}
