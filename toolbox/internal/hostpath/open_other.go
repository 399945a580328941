//go:build !linux

package hostpath

// Open is Linux's alone: elsewhere the Engine runs in a VM, whose view of
// the host's files tbx cannot check.
func Open(string) (*Held, error) { return nil, ErrUnsupported }
