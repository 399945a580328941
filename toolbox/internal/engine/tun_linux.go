package engine

import "os"

// RootlessNetwork says why a rootless Podman of the caller's cannot give
// its containers a network, or nil: slirp4netns and pasta, its network
// helpers, open /dev/net/tun as the caller.
func RootlessNetwork() error {
	f, err := os.OpenFile("/dev/net/tun", os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return f.Close()
}
