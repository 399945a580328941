package engine

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// What a newcomer meets at the Engine's door is named with what to do, in
// one line; anything else is left as it was.
func TestExplainNamesTheFix(t *testing.T) {
	refused := errors.New("Cannot connect to the Docker daemon at unix:///run/user/1000/podman/podman.sock. Is the docker daemon running?")
	cases := []struct {
		host string
		err  error
		want []string
	}{
		{"unix:///var/run/docker.sock", errors.New("Got permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock"),
			[]string{"permission denied", "usermod -aG docker"}},
		{"unix:///run/user/1000/podman/podman.sock", refused,
			[]string{"the Podman service at unix:///run/user/1000/podman/podman.sock is not running", "systemctl --user enable --now podman.socket", "podman system service"}},
		{"unix:///var/run/docker.sock", errors.New("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"),
			[]string{"cannot reach the Docker Engine", "start dockerd"}},
		{"tcp://10.0.0.2:2376", fmt.Errorf("creating the container: %w", errors.New(`"platform" requires API version 1.41, but the Docker daemon API version is 1.40`)),
			[]string{"the Engine at tcp://10.0.0.2:2376 speaks API 1.40, and platform needs 1.41: upgrade it"}},
	}
	for _, c := range cases {
		got := Explain(c.err, c.host).Error()
		for _, w := range c.want {
			if !strings.Contains(got, w) || strings.Contains(got, "\n") {
				t.Errorf("Explain(%q):\n %s\nlacks %q", c.err, got, w)
			}
		}
	}
	other := errors.New("no such image")
	if Explain(other, "unix:///var/run/docker.sock") != other {
		t.Error("an unrelated error was rewritten")
	}
}
