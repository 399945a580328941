//go:build !linux

package testenv

import (
	"testing"

	"github.com/docker/docker/client"
)

// SecondEngine is Linux's: a dockerd of the test's own needs Linux.
func SecondEngine(t testing.TB, _ *client.Client) (*client.Client, string) {
	t.Skip("a second Engine of the test's own needs Linux")
	return nil, ""
}

// SecondEngineOnline is Linux's too.
func SecondEngineOnline(t testing.TB, main *client.Client) (*client.Client, string) {
	return SecondEngine(t, main)
}
