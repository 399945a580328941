package project

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	dockerregistry "github.com/docker/docker/api/types/registry"

	"github.com/tbx-dev/tbx/toolbox/internal/contenthash"
	"github.com/tbx-dev/tbx/toolbox/internal/engine"
	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/acquire"
	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/reuse"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// Statuses tells the state of every tool on e, for a command that only
// looks: nothing is built, pulled or run. A context outside an untrusted
// project is not read (its tool is acquire.Unchecked).
func (v *View) Statuses(ctx context.Context, e engine.Reader) ([]acquire.Status, error) {
	m := acquire.New(acquire.Config{Engine: lookOnly{e}, Recipe: v.Recipe, Registry: v.Registry, Lock: v.Lock, CacheDir: v.settings.CacheDir, BuildsDir: v.settings.buildsDir(), Content: v.lookContent})
	defer m.Close()
	return m.Inspect(ctx, v.Recipe.Tools)
}

func (v *View) lookContent(t *recipe.Tool) (contenthash.Content, error) {
	if !v.Verdict.Status.OK() && !v.inside(t.Build) {
		return contenthash.Content{}, acquire.ErrUnchecked
	}
	if c, ok := v.contents[t.Name]; ok {
		return c, nil // read once, by Inspect
	}
	return contenthash.ReadContent(acquire.Inputs(t, v.settings.CacheDir)), nil
}

// Warm lists the project's warm containers made by this user.
func (v *View) Warm(ctx context.Context, e reuse.Lister) ([]reuse.WarmContainer, error) {
	return reuse.ListWarm(ctx, e, v.owned())
}

func (v *View) owned() filters.Args {
	o := v.Owned()
	return labels.Owned(o[labels.Owner], o[labels.Root])
}

// ImageUsers says, for each tool that runs as its image's own user (user
// = "image") and whose image is on e, who that user is as the image is
// now: "root (uid 0)" for an image whose user is root, else its user as
// the image names it. A tool whose image is not there is not listed.
func (v *View) ImageUsers(ctx context.Context, e engine.Reader) map[string]string {
	sts, err := v.Statuses(ctx, e)
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, st := range sts {
		if st.Tool.Run.User != "image" || st.ImageID == "" {
			continue
		}
		img, err := e.ImageInspect(ctx, st.ImageID)
		if err != nil || img.Config == nil {
			continue
		}
		out[st.Tool.Name] = describeUser(img.Config.User)
	}
	return out
}

// describeUser names an image's user, saying so when it is root.
func describeUser(u string) string {
	name, _, _ := strings.Cut(u, ":")
	if name == "" || name == "root" || name == "0" {
		return "root (uid 0)"
	}
	return u
}

// Notes are what the files of tool's build say that trust's summary, ls
// and doctor tell: a Dockerfile that does not parse or is not there, and sources its ADD
// lines fetch at build time with nothing to pin them, which are outside
// the tool's identity. None for a context not read.
func (v *View) Notes(tool string) []string {
	c, ok := v.contents[tool]
	if !ok {
		return nil
	}
	var out []string
	if c.Frontend != "" {
		out = append(out, fmt.Sprintf("its Dockerfile is in the grammar of the frontend %s, which tbx does not carry and the Engine fetches to build it: tbx cannot read it, so its base images are neither part of its identity nor pinned by the lock", c.Frontend))
	}
	if c.Broken != nil {
		out = append(out, fmt.Sprintf("%v; it will not build until it is fixed, and the other tools are not held up", c.Broken))
	}
	for _, src := range c.Remote {
		out = append(out, fmt.Sprintf("its Dockerfile fetches at build time, with nothing to pin it (%s): what it serves is outside the tool's identity, so a change there makes no new image; pin it (ADD --checksum=sha256:…, or a Git commit), or fetch it again with `tbx build --force %s`", src, tool))
	}
	return out
}

// lookOnly is a Reader where acquire asks for an Engine, for a view: what
// would act, or reach a registry, fails.
type lookOnly struct{ engine.Reader }

// errLooking is what a view's Engine says to an act.
var errLooking = errors.New("a view of the project does not act")

func (lookOnly) DialHijack(context.Context, string, string, map[string][]string) (net.Conn, error) {
	return nil, errLooking
}

func (lookOnly) ImageBuild(context.Context, io.Reader, build.ImageBuildOptions) (build.ImageBuildResponse, error) {
	return build.ImageBuildResponse{}, errLooking
}

func (lookOnly) ImagePull(context.Context, string, image.PullOptions) (io.ReadCloser, error) {
	return nil, errLooking
}

func (lookOnly) ImagePush(context.Context, string, image.PushOptions) (io.ReadCloser, error) {
	return nil, errLooking
}

func (lookOnly) ImageTag(context.Context, string, string) error { return errLooking }

func (lookOnly) ImageRemove(context.Context, string, image.RemoveOptions) ([]image.DeleteResponse, error) {
	return nil, errLooking
}

func (lookOnly) DistributionInspect(context.Context, string, string) (dockerregistry.DistributionInspect, error) {
	return dockerregistry.DistributionInspect{}, errLooking
}
