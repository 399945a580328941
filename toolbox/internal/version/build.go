// Package version names the build of tbx's binaries: its version, for
// people, and an identity the front and the core compare, so that a tbx
// whose two halves come from different builds says so instead of acting
// half one way and half the other.
package version

import (
	"runtime/debug"
	"strings"
)

// Version is tbx's version, set at link time
// (-ldflags "-X github.com/tbx-dev/tbx/toolbox/internal/version.Version=v1.2.3").
var Version = "dev"

// FrontVar is the variable through which the front tells the core the
// build it is of.
const FrontVar = "TBX_FRONT_BUILD"

// Name is the version people read: the link-time one, else the module's,
// else "dev".
func Name() string {
	if Version != "dev" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return Version
}

// ID identifies the build: the version, the source revision (and whether
// the tree had changes) and the Go toolchain. Two binaries built together
// have the same; two of different sources or toolchains do not.
func ID() string {
	id := []string{Name()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision", "vcs.time":
				id = append(id, s.Value)
			case "vcs.modified":
				if s.Value == "true" {
					id = append(id, "modified")
				}
			}
		}
		id = append(id, bi.GoVersion)
	}
	return strings.Join(id, " ")
}
