//go:build !linux

package engine

// RootlessNetwork is nil off Linux: Podman runs in a machine there, whose
// /dev/net/tun is not this host's.
func RootlessNetwork() error { return nil }
