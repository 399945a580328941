package acquire

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/docker/docker/api/types/image"

	"github.com/tbx-dev/tbx/toolbox/internal/buildkit"
	"github.com/tbx-dev/tbx/toolbox/internal/contenthash"
	"github.com/tbx-dev/tbx/toolbox/internal/environ"
	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/progress"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// build builds st's tool from its context and tags it with its hash, with
// BuildKit when the Engine has it and the classic builder otherwise. force
// builds without the layer cache.
func (m builder) build(ctx context.Context, st Status, force bool, mode progress.Mode) (Status, error) {
	m.builder().debugBuild(st.Tool)
	bkc := m.builder().buildKit(ctx)
	var (
		id  string
		err error
	)
	if bkc != nil {
		id, err = m.builder().buildWithBuildKit(ctx, bkc, st, force, mode)
	} else {
		id, err = m.builder().buildClassic(ctx, st, force, mode)
	}
	if err != nil {
		return st, err
	}
	m.builds().recordBuilt(id, st.Hash)
	if st.BuiltHere {
		m.builder().dropSuperseded(ctx, st.ImageID, id) // never a foreign one: its owner may want it
	}
	st.ImageID, st.State, st.BuiltHere = id, Ready, true
	return st, nil
}

// buildKit connects to the Engine's BuildKit once; nil means the classic
// builder, which is said once on stderr. TBX_BUILDKIT=0 asks for it.
func (m builder) buildKit(ctx context.Context) *buildkit.Client {
	m.bkOnce.Do(func() {
		if m.Classic {
			m.Out.Printf("building with the classic builder (TBX_BUILDKIT=0)")
			return
		}
		c, err := buildkit.Connect(ctx, m.Engine)
		if err != nil {
			m.Out.Printf("warning: building with the classic builder: %v", err)
			return
		}
		m.bk = c
	})
	return m.bk
}

func (m builder) buildWithBuildKit(ctx context.Context, c *buildkit.Client, st Status, force bool, mode progress.Mode) (string, error) {
	t := st.Tool
	req, err := m.builder().buildRequest(st, force)
	if err != nil {
		return "", err
	}
	var tail []string
	id, err := c.Run(ctx, req, func(ctx context.Context, ch chan *bkStatus) error {
		tail = progress.Solve(ctx, ch, m.Out, mode, t.Name)
		return nil
	})
	if err != nil {
		if mode == progress.Quiet {
			m.builder().showTail(t.Name, tail)
		}
		if sx := req.Syntax; sx.Ref != "" && !sx.Carried && strings.Contains(err.Error(), "frontend") {
			return "", fmt.Errorf("building tool %s: its Dockerfile's `# syntax=%s` asks for a frontend image that tbx does not carry (it carries docker/dockerfile %s), and fetching it failed: %s; drop the line to build with the carried frontend, or make %s reachable", t.Name, sx.Ref, buildkit.CarriedVersion, oneLine(err.Error()), sx.Ref)
		}
		return "", fmt.Errorf("building tool %s: %s", t.Name, oneLine(err.Error()))
	}
	return id, nil
}

func (m builder) buildRequest(st Status, force bool) (buildkit.Request, error) {
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
		Labels:       m.builder().imageLabels(st),
		Tag:          st.Ref,
		NoCache:      force,
	}
	for _, s := range t.Secrets {
		sec := buildkit.Secret{ID: s.ID, Src: s.Src}
		if s.Env != "" {
			v, ok := environ.Lookup(m.Environ, s.Env)
			if !ok {
				return req, fmt.Errorf("tool %s: build secret %q: the variable %s is not set; export it, then retry", t.Name, s.ID, s.Env)
			}
			sec.Value = []byte(v)
		}
		req.Secrets = append(req.Secrets, sec)
	}
	pins, err := m.locker().pinnedBases(t)
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
			if path = m.SSHAgent; path == "" {
				return req, fmt.Errorf("tool %s: ssh id %s is served by your agent, but SSH_AUTH_SOCK is not set: start an agent with your keys (eval $(ssh-agent); ssh-add), then retry", t.Name, k.ID)
			}
		}
		req.SSHSources = append(req.SSHSources, buildkit.SSHSource{ID: k.ID, Path: path})
	}
	if t.SSH && len(t.SSHKeys) == 0 {
		req.SSHAgent = m.SSHAgent
		if req.SSHAgent == "" {
			return req, fmt.Errorf("tool %s has ssh = true, but SSH_AUTH_SOCK is not set: start an agent with your keys (eval $(ssh-agent); ssh-add), then retry", t.Name)
		}
	}
	return req, nil
}

// imageLabels are what a built image carries: whose project and tool, and
// its hash. No path of the builder's: on a shared Engine the image, and
// every container made from it, is seen by other users.
func (m builder) imageLabels(st Status) map[string]string {
	l := map[string]string{
		labels.Project: m.Recipe.Name,
		labels.Tool:    st.Tool.Name,
		labels.Hash:    st.Hash,
	}
	for k, v := range m.Labels {
		l[k] = v
	}
	return l
}

// debugBuild says for --debug what a build is given: secret ids and where
// their values come from, never the values.
func (m builder) debugBuild(t *recipe.Tool) {
	if m.Debug == nil {
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
	fmt.Fprintf(m.Debug, "tbx: debug: build %s: context %s, dockerfile %s, secrets [%s], ssh agent %v\n",
		t.Name, t.Build, t.Dockerfile, strings.Join(from, ", "), t.SSH)
	if df, err := contenthash.ReadDockerfile(Inputs(t, "")); err == nil {
		switch sx := buildkit.SyntaxOf(df); {
		case sx.Carried:
			fmt.Fprintf(m.Debug, "tbx: debug: build %s: # syntax=%s runs on the Dockerfile frontend tbx carries (docker/dockerfile %s), offline\n", t.Name, sx.Ref, buildkit.CarriedVersion)
		case sx.Ref != "":
			fmt.Fprintf(m.Debug, "tbx: debug: build %s: # syntax=%s is newer than or other than the frontend tbx carries: BuildKit fetches it\n", t.Name, sx.Ref)
		}
	}
}

// dropSuperseded removes the image a forced rebuild replaced under the same
// tag, so that it does not linger untagged; one still in use stays.
func (m builder) dropSuperseded(ctx context.Context, oldID, newID string) {
	if oldID == "" || oldID == newID {
		return
	}
	_, _ = m.Engine.ImageRemove(ctx, oldID, image.RemoveOptions{PruneChildren: true})
}

func (m builder) showTail(name string, tail []string) {
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
