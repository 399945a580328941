package acquire

import (
	"context"
	"fmt"
	"strings"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	"github.com/moby/go-archive"

	"github.com/tbx-dev/tbx/toolbox/imageid"
	"github.com/tbx-dev/tbx/toolbox/labels"
	"github.com/tbx-dev/tbx/toolbox/progress"
)

// build builds st's tool from its context and tags it with its hash.
// force builds without the layer cache.
func (m *Manager) build(ctx context.Context, st Status, force bool, mode progress.Mode) (Status, error) {
	t := st.Tool
	excludes, err := imageid.Excludes(inputs(t))
	if err != nil {
		return st, err
	}
	// Owned by root, as docker's CLI sends it, so the image does not depend
	// on who built it.
	tar, err := archive.TarWithOptions(t.Build, &archive.TarOptions{ExcludePatterns: excludes, ChownOpts: &archive.ChownOpts{}})
	if err != nil {
		return st, fmt.Errorf("packing build context %s: %w", t.Build, err)
	}
	defer tar.Close()
	opts := m.buildOptions(st)
	opts.NoCache = force
	resp, err := m.Engine.ImageBuild(ctx, tar, opts)
	if err != nil {
		return st, fmt.Errorf("building %s: %w", st.Ref, err)
	}
	defer resp.Body.Close()
	res, err := progress.Build(resp.Body, m.Out, mode, t.Name)
	if err != nil {
		m.showTail(t.Name, res.Tail)
		return st, fmt.Errorf("building tool %s: %s", t.Name, oneLine(err.Error()))
	}
	m.dropSuperseded(ctx, st.ImageID, res.ImageID)
	st.ImageID, st.State = res.ImageID, Ready
	return st, nil
}

func (m *Manager) buildOptions(st Status) build.ImageBuildOptions {
	args := map[string]*string{}
	for k, v := range st.Tool.Args {
		args[k] = &v
	}
	return build.ImageBuildOptions{
		Tags:        []string{st.Ref},
		Dockerfile:  st.Tool.Dockerfile,
		BuildArgs:   args,
		Target:      st.Tool.Target,
		Remove:      true,
		ForceRemove: true, // no intermediate container is left, even on failure
		Version:     build.BuilderV1,
		Labels: map[string]string{
			labels.Project: m.Recipe.Name,
			labels.Tool:    st.Tool.Name,
			labels.Hash:    st.Hash,
			labels.Recipe:  m.Recipe.Path,
		},
	}
}

// dropSuperseded removes the image a forced rebuild replaced under the same
// tag, so that it does not linger untagged; one still in use stays.
func (m *Manager) dropSuperseded(ctx context.Context, oldID, newID string) {
	if oldID == "" || oldID == newID {
		return
	}
	_, _ = m.Engine.ImageRemove(ctx, oldID, image.RemoveOptions{PruneChildren: true})
}

func (m *Manager) showTail(name string, tail []string) {
	if len(tail) == 0 || m.Mode == progress.Plain {
		return // plain output has shown every line already
	}
	m.Out.Printf("%s: the build log ends with:", name)
	for _, l := range tail {
		m.Out.Printf("%s: | %s", name, l)
	}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
