package buildkit

import (
	"context"
	"fmt"
	"strconv"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/apicaps"
)

// Feature is a Dockerfile's use of something that the carried frontend
// turns into LLB the Engine's BuildKit must know: an older one would
// ignore it silently (COPY --exclude) or fail obscurely.
type Feature struct {
	Line int
	What string // the instruction and flag, as written: COPY --exclude
	Cap  apicaps.CapID
}

// FeaturesOf lists the features of dockerfile that need a capability of
// the Engine's BuildKit, each with its line. A Dockerfile that does not
// parse has none: the build says what is wrong with it.
func FeaturesOf(dockerfile []byte) []Feature {
	var out []Feature
	for _, cmd := range commands(dockerfile) {
		out = append(out, commandFeatures(cmd)...)
	}
	return out
}

func commandFeatures(cmd instructions.Command) []Feature {
	line := 0
	if loc := cmd.Location(); len(loc) > 0 {
		line = loc[0].Start.Line
	}
	var out []Feature
	add := func(what string, c apicaps.CapID) { out = append(out, Feature{Line: line, What: what, Cap: c}) }
	switch c := cmd.(type) {
	case *instructions.CopyCommand:
		if len(c.ExcludePatterns) > 0 {
			add("COPY --exclude", pb.CapFileCopyIncludeExcludePatterns)
		}
		if symbolic(c.Chmod) {
			add("COPY --chmod="+c.Chmod, pb.CapFileCopyModeStringFormat)
		}
	case *instructions.AddCommand:
		if len(c.ExcludePatterns) > 0 {
			add("ADD --exclude", pb.CapFileCopyIncludeExcludePatterns)
		}
		if symbolic(c.Chmod) {
			add("ADD --chmod="+c.Chmod, pb.CapFileCopyModeStringFormat)
		}
	case *instructions.RunCommand:
		for _, m := range mountsOf(c) {
			if m.Type == instructions.MountTypeSecret && m.Env != nil {
				add("RUN --mount=type=secret,env=", pb.CapExecSecretEnv)
			}
		}
	}
	return out
}

// refuseUnsupported is an error naming the first of features that the
// Engine's BuildKit, whose capabilities are caps, cannot honour; nil when
// it honours them all.
func (c *Client) refuseUnsupported(ctx context.Context, features []Feature, caps apicaps.CapSet) error {
	for _, f := range features {
		if caps.Supports(f.Cap) == nil {
			continue
		}
		return fmt.Errorf("line %d of the Dockerfile: %s needs a BuildKit with %s, and the Engine's is %s; upgrade the Engine to one whose BuildKit has it, or do without it", f.Line, f.What, f.Cap, c.version(ctx))
	}
	return nil
}

// version is the Engine's BuildKit version, as it reports it; BuildKit
// before v0.11 does not say.
func (c *Client) version(ctx context.Context) string {
	info, err := c.c.Info(ctx)
	if err != nil || info.BuildkitVersion.Version == "" {
		return "older than v0.11 (it does not report its version)"
	}
	return info.BuildkitVersion.Version
}

// symbolic reports whether a --chmod value is symbolic (u+x), not octal.
func symbolic(mode string) bool {
	if mode == "" {
		return false
	}
	_, err := strconv.ParseUint(mode, 8, 32)
	return err != nil
}
