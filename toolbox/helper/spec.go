package helper

import (
	"encoding/json"
	"fmt"
)

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

func decodeSpec(arg string) (Spec, error) {
	var s Spec
	if err := json.Unmarshal([]byte(arg), &s); err != nil {
		return s, fmt.Errorf("the helper's spec: %w", err)
	}
	return s, nil
}

func decodeMounts(arg string) ([]Mount, error) {
	var m []Mount
	if err := json.Unmarshal([]byte(arg), &m); err != nil {
		return nil, fmt.Errorf("the checked mounts: %w", err)
	}
	return m, nil
}
