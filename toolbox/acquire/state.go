// Package acquire makes a tool's image ready on the Engine: it tells which
// images are ready, stale or missing, builds them from their content-addressed
// inputs or pulls them, several at once within a bound.
package acquire

import (
	"context"
	"fmt"
	"io"
	"sync"

	bk "github.com/moby/buildkit/client"

	"github.com/tbx-dev/tbx/toolbox/buildkit"
	"github.com/tbx-dev/tbx/toolbox/engine"
	"github.com/tbx-dev/tbx/toolbox/hashcache"
	"github.com/tbx-dev/tbx/toolbox/imageid"
	"github.com/tbx-dev/tbx/toolbox/progress"
	"github.com/tbx-dev/tbx/toolbox/recipe"
)

// State is whether a tool's image can be run as it is.
type State string

// The states a tool's image can be in.
const (
	Ready   State = "ready"   // the image the recipe asks for is on the Engine
	Stale   State = "stale"   // an older image of the tool is, not the current one
	Missing State = "missing" // no image of the tool is
)

// HashLen is how much of the content hash names an image.
const HashLen = 16

// Status is a tool's image as the recipe wants it and as the Engine has it.
type Status struct {
	Tool    *recipe.Tool
	Ref     string // what to run: a built tool's content-addressed tag, or the pulled reference
	Hash    string // content hash of a built tool's inputs
	State   State
	ImageID string
	Missing []string // base images the Engine lacks
}

// Manager acquires the images of one recipe's tools.
type Manager struct {
	Engine engine.Engine
	Recipe *recipe.Recipe
	Out    *progress.Writer
	Mode   progress.Mode // how a single build or pull is shown
	Fd     uintptr       // the terminal's descriptor, for Live pulls
	Debug  io.Writer     // when set, gets what each build is given (never secret values)

	bkOnce sync.Once
	bk     *buildkit.Client // nil: the classic builder
}

// bkStatus is BuildKit's status update.
type bkStatus = bk.SolveStatus

// Close releases the Manager's BuildKit connection, if it made one.
func (m *Manager) Close() {
	if m.bk != nil {
		m.bk.Close()
	}
}

// New returns a Manager that reports on stderr.
func New(e engine.Engine, r *recipe.Recipe, stderr io.Writer, mode progress.Mode, fd uintptr) *Manager {
	return &Manager{Engine: e, Recipe: r, Out: progress.NewWriter(stderr), Mode: mode, Fd: fd}
}

// Inspect tells the state of each tool, with one image listing for all.
func (m *Manager) Inspect(ctx context.Context, tools []*recipe.Tool) ([]Status, error) {
	cat, err := readCatalog(ctx, m.Engine)
	if err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(tools))
	for _, t := range tools {
		st, err := m.status(cat, t)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

func (m *Manager) status(cat *catalog, t *recipe.Tool) (Status, error) {
	st := Status{Tool: t, Ref: t.Image}
	if t.Build != "" {
		id, err := imageid.Compute(m.inputs(t), cat.resolve)
		if err != nil {
			return st, fmt.Errorf("tool %s: %w", t.Name, err)
		}
		st.Hash, st.Missing = id.Hash, id.Missing
		st.Ref = m.BuiltRef(t, id.Hash)
	}
	st.ImageID, _ = cat.resolve(st.Ref)
	switch {
	case st.ImageID != "" && len(st.Missing) == 0:
		st.State = Ready
	case cat.byTool[m.Recipe.Name+"/"+t.Name]:
		st.State = Stale
	default:
		st.State = Missing
	}
	return st, nil
}

// BuiltRef names a built tool's image by its content hash.
func (m *Manager) BuiltRef(t *recipe.Tool, hash string) string {
	return fmt.Sprintf("tbx/%s/%s:%s", m.Recipe.Name, t.Name, hash[:HashLen])
}

func (m *Manager) inputs(t *recipe.Tool) imageid.Inputs {
	in := imageid.Inputs{Context: t.Build, Dockerfile: t.Dockerfile, Args: t.Args, Target: t.Target, SSH: t.SSH, CacheDir: hashcache.Dir()}
	for _, s := range t.Secrets {
		in.Secrets = append(in.Secrets, s.ID)
	}
	return in
}
