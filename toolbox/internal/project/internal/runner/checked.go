package runner

import (
	"errors"
	"path/filepath"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"

	"github.com/tbx-dev/tbx/toolbox/internal/exit"
	"github.com/tbx-dev/tbx/toolbox/internal/helperspec"
	"github.com/tbx-dev/tbx/toolbox/internal/hostpath"
)

// checkedSources are the host paths of inv that the project brings: its
// root, the recipe's host volumes, CA bundle and entries of the caller's
// HOME, each the real path trust checked. Anyone who can write the project can swap them for symbolic
// links; tbx's own state and the caller's sockets are not the project's.
func checkedSources(inv Invocation) map[string]bool {
	out := map[string]bool{inv.Root: true}
	for _, v := range inv.Tool.Run.Volumes {
		if src, _, _ := strings.Cut(v, ":"); filepath.IsAbs(src) {
			out[src] = true
		}
	}
	if ca := inv.Tool.Run.CABundle; ca != "" {
		out[ca] = true
	}
	for _, h := range inv.Tool.Run.Home {
		out[h.Src] = true
	}
	for _, hp := range inv.HostPaths {
		out[hp.Real] = true
	}
	return out
}

// HoldMounts holds every bind of host whose source the project brings, as
// checked, and returns what the container's helper must find at each
// target; release lets them go once the container has started. A source
// that now leads through a symbolic link refuses the run. Where the
// Engine's paths are not this host's (inv.Local false), nothing is held.
func HoldMounts(inv Invocation, host *container.HostConfig) (expect []helperspec.Mount, release func(), err error) {
	var held []*hostpath.Held
	release = func() {
		for _, h := range held {
			_ = h.Close()
		}
	}
	if !inv.Local {
		return nil, release, nil
	}
	sources := checkedSources(inv)
	for _, m := range host.Mounts {
		if m.Type != mount.TypeBind || !sources[m.Source] {
			continue
		}
		h, err := hostpath.Open(m.Source)
		if errors.Is(err, hostpath.ErrUnsupported) {
			break
		}
		if err != nil {
			release()
			return nil, nil, exit.Errorf(exit.Failed, "refusing to run: %v; review it with `tbx trust --show`", err)
		}
		held = append(held, h)
		expect = append(expect, helperspec.Mount{Target: m.Target, Dev: h.Dev, Ino: h.Ino})
	}
	return expect, release, nil
}

// DescribeChecked says, under --debug, what the helper checks.
func (r *Runner) DescribeChecked(expect []helperspec.Mount) {
	for _, m := range expect {
		r.Debugf("%s is checked to be the host path tbx opened (device %d, inode %d) before the command starts", m.Target, m.Dev, m.Ino)
	}
}
