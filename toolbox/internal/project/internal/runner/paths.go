package runner

import (
	"runtime"
	"strings"
)

// ContainerPath is where the host path p appears in a container, for a tbx
// running on the system goos: the same path on Linux and macOS (Docker
// Desktop, Colima, OrbStack, Rancher Desktop and Podman machine share host
// folders at their own paths), and on Windows the form Docker Desktop and
// Git Bash use, C:\Users\me\proj as /c/Users/me/proj (a UNC path
// \\server\share\dir as //server/share/dir).
func ContainerPath(goos, p string) string {
	if goos != "windows" {
		return p
	}
	slashed := strings.ReplaceAll(p, `\`, "/")
	if len(slashed) >= 2 && slashed[1] == ':' && isLetter(slashed[0]) {
		return "/" + strings.ToLower(slashed[:1]) + strings.TrimSuffix(slashed[2:], "/")
	}
	return slashed
}

// inContainer is ContainerPath on this system.
func inContainer(p string) string { return ContainerPath(runtime.GOOS, p) }

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
