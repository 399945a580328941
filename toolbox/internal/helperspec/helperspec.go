// Package helperspec is the contract between tbx and its helper in a
// container (package helper, tbx-warm): where the helper lives there, the
// command line that runs it in each mode, what PID 1 of a warm container
// is told (Spec), the host paths it must find as tbx checked them (Mount),
// the exit code and signal they share, and the words both sides use for a
// command that does not start. Both sides import it; neither imports the
// other.
package helperspec

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Where the helper lives in a container, and what the two sides share.
const (
	Command = "__warm"               // the hidden first argument of tbx
	BinPath = "/run/tbx-warm/tbx"    // the tbx binary, mounted read-only
	State   = "/run/tbx-warm/state"  // a tmpfs: the lock, the pids of runs
	Sealed  = "/run/tbx-warm/sealed" // a tmpfs of root's alone: what no command may reach
	Direct  = Sealed + "/direct"     // the caller's directory of the helper's socket
	Retry   = 222                    // an exec that came too late, or a command that exited 222: `ran` tells which
)

// Retire is the signal, as the Engine names it, that asks a warm
// container's PID 1 to take no new run and go once no run is in it (a
// spare: now, if no run has claimed it; a claimed one goes at its run's
// end as ever): what a spare's maker and untrust send, so that no run in
// flight is ever ended by another tbx.
const Retire = "SIGUSR2"

// Argv is the command line that runs the helper in a warm container in
// mode ("init", "exec", "signal", "status" or "ran"; "start" in a
// throwaway container; "reap" is PID 1's own) with args: what its Main
// reads.
func Argv(mode string, args ...string) []string {
	return append([]string{BinPath, Command, mode}, args...)
}

// EnvTool is the variable by which tbx tells the helper which tool and
// image its container is of ("TOOL IMAGE"), for its messages: the helper
// takes it out of its environment as it starts, so no command sees it.
const EnvTool = "TBX_HELPER_TOOL"

// ToolEnv is the EnvTool entry of a container of tool's image.
func ToolEnv(tool, image string) string { return EnvTool + "=" + tool + " " + image }

// Unrunnable says, as every start path says it, a command that did not
// start: missing (127) or not runnable (126), with what the runtime said,
// naming the tool and its image where they are known.
func Unrunnable(missing bool, tool, image, detail string) string {
	what, in := "command cannot be invoked", "in the image"
	if missing {
		what, in = "command not found in the image", ""
	}
	if tool == "" {
		return what + ": " + detail
	}
	return strings.Join(strings.Fields(fmt.Sprintf("tool %s: %s %s %s:", tool, what, in, image)), " ") + " " + detail
}

// Spec is what a warm container's helper is told when it starts as PID 1:
// it runs as root, apart from the commands it starts, so that nothing a
// command runs can reach its socket, trace it or take its place.
type Spec struct {
	Idle   string   `json:"idle"`             // how long it waits for the next run
	Owner  *uint32  `json:"owner,omitempty"`  // the host uid whose runs it serves on its socket; nil serves none
	User   string   `json:"user"`             // the user commands run as, uid[:gid] or names, as the Engine takes it
	Groups []string `json:"groups,omitempty"` // supplementary groups every command gets (the Engine's socket's)
	Expect []Mount  `json:"expect,omitempty"` // the host paths as tbx checked them
	// Once makes the container a spare: it serves one run on its socket
	// (a second request is refused: the spare is claimed), then stops,
	// which removes it; Idle is how long it waits to be claimed.
	Once bool `json:"once,omitempty"`
	// Inputs is, for a spare, a digest of what the run depends on as it
	// was when the spare was made: a spare of older inputs is of another
	// shape, never used. The helper does not read it.
	Inputs string `json:"inputs,omitempty"`
}

// Mount is a host path as tbx opened and checked it: the container must
// see that same file or directory at Target before any command starts.
type Mount struct {
	Target string `json:"target"`
	Dev    uint64 `json:"dev"`
	Ino    uint64 `json:"ino"`
}

// Encode is the spec as the helper's argument.
func (s Spec) Encode() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// EncodeMounts is a list of checked mounts as the throwaway starter's
// argument.
func EncodeMounts(m []Mount) string {
	if len(m) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// DecodeSpec reads the spec from the helper's argument.
func DecodeSpec(arg string) (Spec, error) {
	var s Spec
	if err := json.Unmarshal([]byte(arg), &s); err != nil {
		return s, fmt.Errorf("the helper's spec: %w", err)
	}
	return s, nil
}

// DecodeMounts reads checked mounts from the starter's argument.
func DecodeMounts(arg string) ([]Mount, error) {
	var m []Mount
	if err := json.Unmarshal([]byte(arg), &m); err != nil {
		return nil, fmt.Errorf("the checked mounts: %w", err)
	}
	return m, nil
}
