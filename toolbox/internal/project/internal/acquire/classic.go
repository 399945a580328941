package acquire

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/build"
	"github.com/moby/go-archive"

	"github.com/tbx-dev/tbx/toolbox/internal/contenthash"
	"github.com/tbx-dev/tbx/toolbox/internal/progress"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// buildClassic builds with the Engine's classic builder, for Engines
// without BuildKit. It cannot give a build secrets or the SSH agent.
func (b *builder) buildClassic(ctx context.Context, st Status, force bool, mode progress.Mode) (string, error) {
	t := st.Tool
	if len(t.Secrets) > 0 || t.SSH {
		if b.classic {
			return "", fmt.Errorf("tool %s uses build secrets or ssh, which need BuildKit, and TBX_BUILDKIT=0 asks for the classic builder; unset TBX_BUILDKIT", t.Name)
		}
		return "", fmt.Errorf("tool %s uses build secrets or ssh, which need BuildKit; this Engine has only the classic builder", t.Name)
	}
	if err := b.classicBases(ctx, t); err != nil {
		return "", err
	}
	excludes, err := contenthash.Excludes(Inputs(t, ""))
	if err != nil {
		return "", err
	}
	// Owned by root, as docker's CLI sends it, so the image does not depend
	// on who built it.
	tar, err := archive.TarWithOptions(t.Build, &archive.TarOptions{ExcludePatterns: excludes, ChownOpts: &archive.ChownOpts{}})
	if err != nil {
		return "", fmt.Errorf("packing build context %s: %w", t.Build, err)
	}
	defer tar.Close()
	opts := b.classicOptions(st)
	opts.NoCache = force
	resp, err := b.engine.ImageBuild(ctx, tar, opts)
	if err != nil {
		return "", fmt.Errorf("building %s: %w", st.Ref, err)
	}
	defer resp.Body.Close()
	res, err := progress.Build(resp.Body, b.out, mode, t.Name)
	if err != nil {
		b.showTail(t.Name, res.Tail)
		return "", fmt.Errorf("building tool %s: %s", t.Name, oneLine(err.Error()))
	}
	return res.ImageID, nil
}

func (b *builder) classicOptions(st Status) build.ImageBuildOptions {
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
		Labels:      b.imageLabels(st),
	}
}

// classicBases checks that each base the lock pins is what its name means on
// this Engine: the classic builder can only start from a name.
func (b *builder) classicBases(ctx context.Context, t *recipe.Tool) error {
	pins, cat, err := b.pinnedOnEngine(ctx, t)
	if err != nil {
		return err
	}
	for ref, pin := range pins {
		local, _ := cat.resolve(ref)
		pinned, _ := cat.resolve(pin.Image)
		if local == "" || local != pinned {
			return fmt.Errorf("tool %s: %s on this Engine is not the base toolbox.lock pins (%s), and the classic builder cannot start from a digest; use an Engine with BuildKit, or tag the pinned image as %s", t.Name, ref, pin.Image, ref)
		}
	}
	return nil
}
