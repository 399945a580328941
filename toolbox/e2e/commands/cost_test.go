//go:build !windows

package commands

import (
	"strings"
	"testing"

	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// No call on the run path, ls, prepare or a shim costs more on an Engine
// that holds more images or containers: tbx looks its own up by exact
// reference and by label, never by listing everything.
func TestCallsDoNotGrowWithTheEngine(t *testing.T) {
	c := testenv.Engine(t)
	dir, _ := runProject(t, c, "")
	calls := countedEngine(t)
	for _, args := range [][]string{{"run", "box-sh", "-c", "true"}, {"ls"}, {"prepare"}} {
		for _, warm := range []string{"off", "1m"} {
			t.Setenv("TBX_WARM", warm)
			calls.Reset()
			r := tbxIn(t, dir, args...)
			if r.code != 0 {
				t.Fatalf("tbx %v: exit %d, %q", args, r.code, r.err)
			}
			for _, call := range calls.All() {
				if unfiltered(call) {
					t.Errorf("tbx %v (warm %s) lists the whole Engine: %s", args, warm, call)
				}
			}
			if pings := len(calls.Matching("/_ping")); pings > 1 {
				t.Errorf("tbx %v (warm %s) pinged %d times", args, warm, pings)
			}
			t.Logf("tbx %v, warm %s: %d calls: %v", args, warm, len(calls.All()), calls.All())
		}
	}
}

// unfiltered reports whether call lists images or containers without a
// filter.
func unfiltered(call string) bool {
	list := strings.Contains(call, "/images/json") || strings.Contains(call, "/containers/json")
	return list && !strings.Contains(call, "filters=")
}
