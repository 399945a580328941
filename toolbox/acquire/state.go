// Package acquire makes a tool's image ready on the Engine: it tells which
// images are ready, stale or missing, pulls them from the team registry,
// builds them from their content-addressed inputs or pulls them from where
// the recipe names, several at once within a bound, and pins what it
// published in a lock.
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
	"github.com/tbx-dev/tbx/toolbox/lockfile"
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

// LockState is how a tool stands against toolbox.lock.
type LockState string

// The lock states; "" when there is no lock.
const (
	Locked   LockState = "locked"   // the lock pins exactly what the recipe asks for
	Changed  LockState = "stale"    // the lock pins something else: the recipe or the inputs changed
	Unlocked LockState = "unlocked" // the lock does not know the tool
)

// HashLen is how much of the content hash names an image.
const HashLen = 16

// Status is a tool's image as the recipe wants it and as the Engine has it.
type Status struct {
	Tool    *recipe.Tool
	Ref     string // what to run: a built tool's content-addressed tag, or the pulled reference (by digest when locked)
	Hash    string // content hash of a built tool's inputs
	State   State
	ImageID string
	Missing []string // base images the Engine lacks and the lock does not pin

	Lock   LockState
	Pinned lockfile.Tool // the lock's entry, when there is one
}

// Manager acquires the images of one recipe's tools.
type Manager struct {
	Engine   engine.Engine
	Recipe   *recipe.Recipe
	Out      *progress.Writer
	Mode     progress.Mode  // how a single build or pull is shown
	Fd       uintptr        // the terminal's descriptor, for Live pulls
	Debug    io.Writer      // when set, gets what each build is given (never secret values)
	Registry string         // the team registry, or ""
	Lock     *lockfile.Lock // toolbox.lock, or nil
	Frozen   bool           // never build, never follow a tag: exactly the lock

	bkOnce sync.Once
	bk     *buildkit.Client // nil: the classic builder
}

// bkStatus is BuildKit's status update.
type bkStatus = bk.SolveStatus

// New returns a Manager that reports on stderr.
func New(e engine.Engine, r *recipe.Recipe, stderr io.Writer, mode progress.Mode, fd uintptr) *Manager {
	return &Manager{Engine: e, Recipe: r, Out: progress.NewWriter(stderr), Mode: mode, Fd: fd}
}

// Close releases the Manager's BuildKit connection, if it made one.
func (m *Manager) Close() {
	if m.bk != nil {
		m.bk.Close()
	}
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
		id, err := imageid.Compute(m.inputs(t), m.baseIdentity(cat))
		if err != nil {
			return st, fmt.Errorf("tool %s: %w", t.Name, err)
		}
		st.Hash, st.Missing = id.Hash, id.Missing
		st.Ref = m.BuiltRef(t, id.Hash)
	}
	m.lockState(&st)
	st.ImageID, _ = cat.resolve(st.Ref)
	switch {
	case st.ImageID != "" && len(st.Missing) == 0 && m.isPinned(cat, st):
		st.State = Ready
	case cat.byTool[m.Recipe.Name+"/"+t.Name] || st.ImageID != "":
		st.State = Stale
	default:
		st.State = Missing
	}
	return st, nil
}

// lockState compares a tool with its lock entry; a locked pulled tool runs
// by the digest its tag had when locked.
func (m *Manager) lockState(st *Status) {
	if m.Lock == nil {
		return
	}
	pin, ok := m.Lock.Tools[st.Tool.Name]
	st.Pinned = pin
	switch {
	case !ok:
		st.Lock = Unlocked
	case st.Tool.Build != "" && pin.Hash == st.Hash, st.Tool.Image != "" && pin.Ref == st.Tool.Image:
		st.Lock = Locked
		if st.Tool.Image != "" {
			st.Ref = pin.Image
		}
	default:
		st.Lock = Changed
	}
}

// isPinned is false for a frozen built tool whose image on the Engine is not
// the one the lock pins (built here rather than pulled, say).
func (m *Manager) isPinned(cat *catalog, st Status) bool {
	if !m.Frozen || st.Tool.Build == "" || st.Lock != Locked || st.Pinned.Digest == "" {
		return true
	}
	return cat.hasDigest(st.ImageID, st.Pinned.Digest)
}

// baseIdentity is how a base image enters a tool's hash: the digest the lock
// pins it at; else its registry digest, when it was pulled from a registry;
// else its local image ID, which only this Engine knows.
func (m *Manager) baseIdentity(cat *catalog) imageid.Resolver {
	return func(ref string) (string, bool) {
		if b, ok := m.lockedBase(ref); ok {
			return "digest " + b.Digest, true
		}
		id, ok := cat.resolve(ref)
		if !ok {
			return "", false
		}
		if d := cat.repoDigest(id, ref); d != "" {
			return "digest " + d, true
		}
		return id, true
	}
}

func (m *Manager) lockedBase(ref string) (lockfile.Base, bool) {
	if m.Lock == nil {
		return lockfile.Base{}, false
	}
	b, ok := m.Lock.Bases[ref]
	return b, ok
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
