//go:build !windows

package commands

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// podmanRun is set while the shared run-path tests run against Podman,
// and podmanEvents is where that Podman logs its events.
var (
	podmanRun    bool
	podmanEvents string
)

// podmanWarmStarts counts the warm containers of project that the test's
// Podman started, from its events log: its events API leaves most out.
func podmanWarmStarts(t *testing.T, project string) int {
	t.Helper()
	return len(podmanWarmEvents(t, "start", []string{project}))
}

// podmanWarmEvents are the events of status in the warm containers of
// projects in the test's Podman's events log; an exec's status is "exec".
func podmanWarmEvents(t *testing.T, status string, projects []string) []map[string]string {
	t.Helper()
	b, err := os.ReadFile(podmanEvents)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, line := range strings.Split(string(b), "\n") {
		var ev struct {
			Status, Type string
			Attributes   map[string]string
		}
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Type == "container" && ev.Status == status &&
			slices.Contains(projects, ev.Attributes[labels.Project]) && ev.Attributes[labels.Warm] != "" {
			out = append(out, ev.Attributes)
		}
	}
	return out
}

// TestPodmanRunPath runs the run path's tests against a rootful Podman of
// the test's own, throwaway and warm: Podman is an Engine like Docker.
func TestPodmanRunPath(t *testing.T) {
	main := testenv.Engine(t)
	p := testenv.StartPodman(t, testenv.PodmanOptions{})
	p.Load(t, main, testenv.Debian(t, main))
	t.Setenv("DOCKER_HOST", p.Host)
	podmanRun, podmanEvents = true, p.Events()
	defer func() { podmanRun, podmanEvents = false, "" }()
	for _, warm := range []string{"", "2m"} {
		t.Setenv("TBX_WARM", warm)
		for _, test := range runPathTests {
			t.Run(test.name+map[string]string{"": "", "2m": "Warm"}[warm], func(t *testing.T) {
				first := len(runProjects)
				test.fn(t)
				// Warm runs take the helper's socket on Podman too: no exec.
				// (Volumes runs gc, which asks the helper its status through
				// an exec, and Podman's events do not say which command.)
				if execs := podmanWarmEvents(t, "exec", runProjects[first:]); warm != "" && test.name != "Volumes" && len(execs) != 0 {
					t.Errorf("%d execs in warm containers: %v", len(execs), execs)
				}
			})
		}
	}
	// What Podman mounts is what tbx checked, throwaway and warm.
	t.Setenv("TBX_WARM", "")
	t.Run("MountedIsWhatWasChecked", mountedIsWhatWasChecked)
}
