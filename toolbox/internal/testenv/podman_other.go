//go:build !linux

package testenv

import (
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
)

// Podman is Linux's: a Podman service of the test's own needs Linux.
type Podman struct {
	Host   string
	Client *client.Client
}

// PodmanOptions shape the Podman a test starts.
type PodmanOptions struct {
	User   *User
	NoInit bool
}

// User is a user of the test's own.
type User struct {
	Name     string
	UID, GID int
	Home     string
}

// StartPodman skips: it needs Linux.
func StartPodman(t testing.TB, _ PodmanOptions) *Podman {
	t.Skip("a Podman of the test's own needs Linux")
	return nil
}

// RootlessUser skips: it needs Linux.
func RootlessUser(t testing.TB) *User {
	t.Skip("rootless Podman needs Linux")
	return nil
}

// Load is Linux's.
func (p *Podman) Load(testing.TB, *client.Client, string) {}

// Events is Linux's.
func (p *Podman) Events() string { return "" }

// Containers is Linux's.
func (p *Podman) Containers(testing.TB) []container.Summary { return nil }
