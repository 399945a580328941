package acquire

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/docker/docker/api/types/image"

	"github.com/tbx-dev/tbx/toolbox/internal/buildkit"
	"github.com/tbx-dev/tbx/toolbox/internal/contenthash"
	"github.com/tbx-dev/tbx/toolbox/internal/environ"
	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/lockfile"
	"github.com/tbx-dev/tbx/toolbox/internal/progress"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// builder builds tools' images, with the Engine's BuildKit (through a
// session of its own) or, where the Engine has none, its classic builder,
// and records each image a build of the user's returned. It is given the
// pinned bases of a tool by the lock (pinnedBases).
type builder struct {
	engine   Engine
	recipe   *recipe.Recipe
	out      *progress.Writer
	debug    io.Writer
	mode     progress.Mode
	classic  bool
	sshAgent string
	labels   map[string]string
	environ  []string
	builds   builds
	// pinnedBases are the bases of t the lock pins, as they are taken.
	pinnedBases func(t *recipe.Tool) (map[string]lockfile.Base, error)

	bkOnce sync.Once
	bk     *buildkit.Client // nil: the classic builder
}

// newBuilder is m's builder.
func newBuilder(m *Manager) *builder {
	return &builder{
		engine: m.Engine, recipe: m.Recipe, out: m.Out, debug: m.Debug, mode: m.Mode, classic: m.Classic,
		sshAgent: m.SSHAgent, labels: m.Labels, environ: m.Environ, builds: m.builds(),
		pinnedBases: func(t *recipe.Tool) (map[string]lockfile.Base, error) { return m.locker().pinnedBases(t) }, // under the lock in effect
	}
}

// pinnedOnEngine is pinnedBases with the Engine's images to look them up
// in; no pins and no catalog when the lock pins none of the tool's bases.
func (b *builder) pinnedOnEngine(ctx context.Context, t *recipe.Tool) (map[string]lockfile.Base, *catalog, error) {
	pins, err := b.pinnedBases(t)
	if err != nil || len(pins) == 0 {
		return nil, nil, err
	}
	return pins, newCatalog(ctx, b.engine, b.recipe.Name), nil
}

// build builds st's tool from its context and tags it with its hash, with
// BuildKit when the Engine has it and the classic builder otherwise. force
// builds without the layer cache.
func (b *builder) build(ctx context.Context, st Status, force bool, mode progress.Mode) (Status, error) {
	b.debugBuild(st.Tool)
	bkc := b.buildKit(ctx)
	var (
		id  string
		err error
	)
	if bkc != nil {
		id, err = b.buildWithBuildKit(ctx, bkc, st, force, mode)
	} else {
		id, err = b.buildClassic(ctx, st, force, mode)
	}
	if err != nil {
		return st, err
	}
	b.builds.recordBuilt(id, st.Hash)
	if st.BuiltHere {
		b.dropSuperseded(ctx, st.ImageID, id) // never a foreign one: its owner may want it
	}
	st.ImageID, st.State, st.BuiltHere = id, Ready, true
	return st, nil
}

// buildKit connects to the Engine's BuildKit once; nil means the classic
// builder, which is said once on stderr. TBX_BUILDKIT=0 asks for it.
func (b *builder) buildKit(ctx context.Context) *buildkit.Client {
	b.bkOnce.Do(func() {
		if b.classic {
			b.out.Printf("building with the classic builder (TBX_BUILDKIT=0)")
			return
		}
		c, err := buildkit.Connect(ctx, b.engine)
		if err != nil {
			b.out.Printf("warning: building with the classic builder: %v", err)
			return
		}
		b.bk = c
	})
	return b.bk
}

func (b *builder) buildWithBuildKit(ctx context.Context, c *buildkit.Client, st Status, force bool, mode progress.Mode) (string, error) {
	t := st.Tool
	req, err := b.buildRequest(st, force)
	if err != nil {
		return "", err
	}
	var tail []string
	id, err := c.Run(ctx, req, func(ctx context.Context, ch chan *bkStatus) error {
		tail = progress.Solve(ctx, ch, b.out, mode, t.Name)
		return nil
	})
	if err != nil {
		if mode == progress.Quiet {
			b.showTail(t.Name, tail)
		}
		if sx := req.Syntax; sx.Ref != "" && !sx.Carried && strings.Contains(err.Error(), "frontend") {
			return "", fmt.Errorf("building tool %s: its Dockerfile's `# syntax=%s` asks for a frontend image that tbx does not carry (it carries docker/dockerfile %s), and fetching it failed: %s; drop the line to build with the carried frontend, or make %s reachable", t.Name, sx.Ref, buildkit.CarriedVersion, oneLine(err.Error()), sx.Ref)
		}
		return "", fmt.Errorf("building tool %s: %s", t.Name, oneLine(err.Error()))
	}
	return id, nil
}

func (b *builder) buildRequest(st Status, force bool) (buildkit.Request, error) {
	t := st.Tool
	df, err := contenthash.ReadDockerfile(Inputs(t, ""))
	if err != nil {
		return buildkit.Request{}, fmt.Errorf("tool %s: %w", t.Name, err)
	}
	if err := hostNetwork(t, df); err != nil {
		return buildkit.Request{}, err
	}
	req := buildkit.Request{
		Syntax:       buildkit.SyntaxOf(df),
		Features:     buildkit.FeaturesOf(df),
		Entitlements: t.Entitlements,
		SSHIDs:       buildkit.SSHIDs(df),
		Context:      t.Build,
		Dockerfile:   t.Dockerfile,
		Args:         t.Args,
		Target:       t.Target,
		Labels:       b.imageLabels(st),
		Tag:          st.Ref,
		NoCache:      force,
	}
	for _, s := range t.Secrets {
		sec := buildkit.Secret{ID: s.ID, Src: s.Src}
		if s.Env != "" {
			v, ok := environ.Lookup(b.environ, s.Env)
			if !ok {
				return req, fmt.Errorf("tool %s: build secret %q: the variable %s is not set; export it, then retry", t.Name, s.ID, s.Env)
			}
			sec.Value = []byte(v)
		}
		req.Secrets = append(req.Secrets, sec)
	}
	pins, err := b.pinnedBases(t)
	if err != nil {
		return req, err
	}
	for ref, pin := range pins {
		if req.Contexts == nil {
			req.Contexts = map[string]string{}
		}
		req.Contexts[ref] = "docker-image://" + pin.Image // the locked base, whatever the name means here
	}
	for _, k := range t.SSHKeys {
		path := k.Key
		if path == "" {
			if path = b.sshAgent; path == "" {
				return req, fmt.Errorf("tool %s: ssh id %s is served by your agent, but SSH_AUTH_SOCK is not set: start an agent with your keys (eval $(ssh-agent); ssh-add), then retry", t.Name, k.ID)
			}
		}
		req.SSHSources = append(req.SSHSources, buildkit.SSHSource{ID: k.ID, Path: path})
	}
	if t.SSH && len(t.SSHKeys) == 0 {
		req.SSHAgent = b.sshAgent
		if req.SSHAgent == "" {
			return req, fmt.Errorf("tool %s has ssh = true, but SSH_AUTH_SOCK is not set: start an agent with your keys (eval $(ssh-agent); ssh-add), then retry", t.Name)
		}
	}
	return req, nil
}

// imageLabels are what a built image carries: whose project and tool, and
// its hash. No path of the builder's: on a shared Engine the image, and
// every container made from it, is seen by other users.
func (b *builder) imageLabels(st Status) map[string]string {
	l := map[string]string{
		labels.Project: b.recipe.Name,
		labels.Tool:    st.Tool.Name,
		labels.Hash:    st.Hash,
	}
	for k, v := range b.labels {
		l[k] = v
	}
	return l
}

// debugBuild says for --debug what a build is given: secret ids and where
// their values come from, never the values.
func (b *builder) debugBuild(t *recipe.Tool) {
	if b.debug == nil {
		return
	}
	var from []string
	for _, s := range t.Secrets {
		if s.Env != "" {
			from = append(from, s.ID+" (variable "+s.Env+")")
		} else {
			from = append(from, s.ID+" (file "+s.Src+")")
		}
	}
	fmt.Fprintf(b.debug, "tbx: debug: build %s: context %s, dockerfile %s, secrets [%s], ssh agent %v\n",
		t.Name, t.Build, t.Dockerfile, strings.Join(from, ", "), t.SSH)
	if df, err := contenthash.ReadDockerfile(Inputs(t, "")); err == nil {
		switch sx := buildkit.SyntaxOf(df); {
		case sx.Carried:
			fmt.Fprintf(b.debug, "tbx: debug: build %s: # syntax=%s runs on the Dockerfile frontend tbx carries (docker/dockerfile %s), offline\n", t.Name, sx.Ref, buildkit.CarriedVersion)
		case sx.Ref != "":
			fmt.Fprintf(b.debug, "tbx: debug: build %s: # syntax=%s is newer than or other than the frontend tbx carries: BuildKit fetches it\n", t.Name, sx.Ref)
		}
	}
}

// dropSuperseded removes the image a forced rebuild replaced under the same
// tag, so that it does not linger untagged; one still in use stays.
func (b *builder) dropSuperseded(ctx context.Context, oldID, newID string) {
	if oldID == "" || oldID == newID {
		return
	}
	_, _ = b.engine.ImageRemove(ctx, oldID, image.RemoveOptions{PruneChildren: true})
}

func (b *builder) showTail(name string, tail []string) {
	if len(tail) == 0 || b.mode == progress.Plain {
		return // plain output has shown every line already
	}
	b.out.Printf("%s: the build log ends with:", name)
	for _, l := range tail {
		b.out.Printf("%s: | %s", name, l)
	}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// hostNetwork refuses, before the build, a `RUN --network=host` step of a
// tool whose recipe does not grant its build the host's network: BuildKit
// would refuse it with its own words and no line.
func hostNetwork(t *recipe.Tool, df []byte) error {
	lines := buildkit.HostNetworkLines(df)
	if len(lines) == 0 || slices.Contains(t.Entitlements, recipe.EntitlementHostNetwork) {
		return nil
	}
	return fmt.Errorf("tool %s: %s:%d: RUN --network=host shares this host's network with the build, which the recipe does not allow: add entitlements = [%q] to [tools.%s] (trust shows it), or drop the flag", t.Name, filepath.Join(t.Build, t.Dockerfile), lines[0], recipe.EntitlementHostNetwork, t.Name)
}
