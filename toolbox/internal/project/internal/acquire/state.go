// Package acquire makes a tool's image ready on the Engine: it tells which
// images are ready, stale or missing, pulls them from the team registry,
// builds them from their content-addressed inputs or pulls them from where
// the recipe names, several at once within a bound, and pins what it
// published in a lock.
package acquire

import (
	"context"
	"errors"
	"io"

	bk "github.com/moby/buildkit/client"

	"github.com/tbx-dev/tbx/toolbox/internal/contenthash"
	"github.com/tbx-dev/tbx/toolbox/internal/lockfile"
	"github.com/tbx-dev/tbx/toolbox/internal/progress"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// State is whether a tool's image can be run as it is.
type State string

// The states a tool's image can be in.
const (
	Ready   State = "ready"   // the image the recipe asks for is on the Engine
	Stale   State = "stale"   // an older image of the tool is, not the current one
	Missing State = "missing" // no image of the tool is
	// Foreign is a built tool whose tag names an image this user's tbx
	// did not build and no registry served: put there by docker tag or
	// docker load. It is never run, pushed, signed or pinned; it is
	// built again, or pulled by the lock's digest.
	Foreign State = "foreign"
	// Unchecked is a built tool whose context lies outside an untrusted
	// project: it is not read until the project is trusted.
	Unchecked State = "unchecked"
	// Broken is a built tool whose Dockerfile does not parse, or whose
	// context or Dockerfile is not there: it cannot be built until it is
	// fixed (Status.Broken says why); the other tools build and run.
	Broken State = "broken"
)

// ErrUnchecked is what a Content reader returns for a context it will not
// read; Inspect then reports the tool Unchecked.
var ErrUnchecked = errors.New("not read until the project is trusted")

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
	Digests []string // the image's repository@digest references: where it was pulled from or pushed to
	// BuiltHere is a built tool's image that this user's tbx built from
	// these very inputs, as its record of builds says.
	BuiltHere bool
	// Broken is why a Broken tool's Dockerfile cannot be built.
	Broken error

	Lock   LockState
	Pinned lockfile.Tool // the lock's entry, when there is one
}

// Config is what a Manager works with, set once when it is made.
type Config struct {
	Engine   Engine
	Recipe   *recipe.Recipe
	Stderr   io.Writer      // where progress goes
	Mode     progress.Mode  // how a single build or pull is shown
	Fd       uintptr        // the terminal's descriptor, for Live pulls
	Debug    io.Writer      // when set, gets what each build is given (never secret values)
	Registry string         // the team registry, or ""
	Lock     *lockfile.Lock // toolbox.lock, or nil
	Frozen   bool           // never build, never follow a tag: exactly the lock
	Classic  bool           // build with the classic builder even where BuildKit is
	SSHAgent string         // the caller's SSH agent socket, for builds with ssh = true
	CacheDir string         // where file hashes and signature verdicts are remembered; "" remembers nothing
	// BuildsDir is where the record of the images this user's tbx built is
	// kept, in tbx's state; "" keeps none, so that no image found under a
	// tool's tag counts as built here.
	BuildsDir string
	LockDir   string   // where build locks are kept
	Environ   []string // the caller's environment, which env= build secrets come from
	// SignKey is the cosign private key file that signs what is pushed
	// ("" signs nothing); its password comes from COSIGN_PASSWORD in
	// Environ, as cosign reads it.
	SignKey string
	// DockerConfig is the Docker client's configuration directory, whose
	// credentials pulls and pushes use ("" for the client's default).
	DockerConfig string
	// Labels go on every image built, beside the tool's own (who made it,
	// for which project root).
	Labels map[string]string
	// Content reads what a built tool's build is given from the host; the
	// project layer sets it to a reader that checks it against the trust
	// record. Nil reads it unchecked.
	Content func(t *recipe.Tool) (contenthash.Content, error)
}

// Manager acquires the images of one recipe's tools. It only wires its
// components, each with state of its own: the inspector (image state, the
// reading half every other one asks), the guard (the signature policy),
// the builder (BuildKit or the classic builder), the team (the team
// registry), and, made for each call from the lock in effect, the preparer
// (making tools ready) and the locker (pinning and checking the lock).
type Manager struct {
	Config
	Out *progress.Writer

	state *inspector // image state
	g     *guard     // the signature policy
	b     *builder   // the builds
	t     *team      // the team registry
}

// bkStatus is BuildKit's status update.
type bkStatus = bk.SolveStatus

// New returns a Manager made of c.
func New(c Config) *Manager {
	if c.Stderr == nil {
		c.Stderr = io.Discard
	}
	m := &Manager{Config: c, Out: progress.NewWriter(c.Stderr)}
	m.g = newGuard(m)
	m.state = newInspector(m.Config, m.builds(), m.g.repository)
	m.b = newBuilder(m)
	m.t = newTeam(m)
	return m
}

// Close releases the Manager's BuildKit connection, if it made one.
func (m *Manager) Close() {
	if m.b.bk != nil {
		m.b.bk.Close()
	}
}

// Inspect tells the state of each tool, with one image listing for all.
// What the builds are given is read (and checked) first, before the Engine
// is asked anything.
func (m *Manager) Inspect(ctx context.Context, tools []*recipe.Tool) ([]Status, error) {
	return m.state.inspect(ctx, m.Lock, tools)
}

// preparer makes tools ready under the lock in effect.
func (m *Manager) preparer() *preparer {
	return &preparer{
		state: m.state, lock: m.Lock, guard: m.g, team: m.t, builder: m.b, tagger: m.Engine,
		out: m.Out, mode: m.Mode, frozen: m.Frozen, registry: m.Registry, lockDir: m.LockDir, recipePath: m.Recipe.Path,
	}
}

// locker pins and checks the lock in effect.
func (m *Manager) locker() *locker {
	return &locker{
		state: m.state, lock: m.Lock, guard: m.g, team: m.t, engine: m.Engine,
		out: m.Out, recipe: m.Recipe, registry: m.Registry,
	}
}

// Ensure makes t's image ready, building or pulling it when stale.
func (m *Manager) Ensure(ctx context.Context, t *recipe.Tool, force bool) (Status, error) {
	return m.preparer().ensure(ctx, t, force, m.Mode)
}

// Prepare makes every tool ready, opts.Jobs at a time.
func (m *Manager) Prepare(ctx context.Context, tools []*recipe.Tool, opts Options) error {
	return m.preparer().prepare(ctx, tools, opts)
}

// Push pushes the built tools to the team registry as
// REGISTRY/PROJECT/TOOL:HASH. Every tool must be ready.
func (m *Manager) Push(ctx context.Context, tools []*recipe.Tool) ([]Pushed, error) {
	if m.Registry == "" {
		return nil, errNoRegistry
	}
	if err := m.g.checkSigning(tools); err != nil {
		return nil, err
	}
	sts, err := m.Inspect(ctx, tools)
	if err != nil {
		return nil, err
	}
	return m.t.pushReady(ctx, sts)
}

// Pin pins every tool and base by digest, for toolbox.lock, which is then
// the lock in effect.
func (m *Manager) Pin(ctx context.Context, opts PinOptions) (*lockfile.Lock, error) {
	lock, err := m.locker().pin(ctx, opts)
	if lock != nil {
		m.Lock = lock
	}
	return lock, err
}

// CheckLock lists what no longer matches the lock.
func (m *Manager) CheckLock(ctx context.Context) ([]string, error) {
	return m.locker().checkLock(ctx)
}

// VerifyLock refuses a lock that pins what the recipe does not name.
func (m *Manager) VerifyLock() error { return m.locker().verifyLock() }
