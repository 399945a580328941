//go:build !windows

package commands

import (
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// A throwaway container is named for its project and tool, as warm
// containers and spares are, so that `docker ps` says whose it is; two
// runs get two names.
func TestThrowawayContainersAreNamedForTheirTool(t *testing.T) {
	c := testenv.Engine(t)
	t.Setenv("TBX_SPARE", "off") // a throwaway container, not a spare
	dir, project := runProject(t, c, "")
	names := map[string]bool{}
	for range 2 {
		done := make(chan result, 1)
		go func() { done <- sh(t, dir, "sleep 2") }()
		deadline := time.Now().Add(20 * time.Second)
		for len(names) < 2 && time.Now().Before(deadline) {
			cs, _ := c.ContainerList(t.Context(), container.ListOptions{Filters: labels.ForProject(project)})
			for _, ct := range cs {
				names[strings.TrimPrefix(ct.Names[0], "/")] = true
			}
			if len(names) > 0 && len(cs) > 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if r := <-done; r.code != 0 {
			t.Fatalf("run: %+v", r)
		}
	}
	if len(names) != 2 {
		t.Fatalf("saw the containers %v; want two, one a run", names)
	}
	for n := range names {
		if !strings.HasPrefix(n, "tbx-run-"+project+"-") || !strings.Contains(n, "-box-") {
			t.Errorf("a throwaway container is named %q; want tbx-run-%s-…-box-…", n, project)
		}
	}
}
