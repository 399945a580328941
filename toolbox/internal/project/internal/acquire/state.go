// Package acquire makes a tool's image ready on the Engine: it tells which
// images are ready, stale or missing, pulls them from the team registry,
// builds them from their content-addressed inputs or pulls them from where
// the recipe names, several at once within a bound, and pins what it
// published in a lock.
package acquire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

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
	// Broken is a built tool whose Dockerfile does not parse: it cannot be
	// built until it is fixed (Status.Broken says why); the other tools
	// build and run.
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

// Manager acquires the images of one recipe's tools.
type Manager struct {
	Config
	Out *progress.Writer

	mu       sync.Mutex
	contents map[string]contenthash.Content // by tool: read once per Manager
	g        *guard                         // the signature policy
	b        *builder                       // the builds
	t        *team                          // the team registry
	acquired atomic.Int32                   // how many tools this Manager built or pulled
}

// bkStatus is BuildKit's status update.
type bkStatus = bk.SolveStatus

// New returns a Manager made of c.
func New(c Config) *Manager {
	if c.Stderr == nil {
		c.Stderr = io.Discard
	}
	m := &Manager{Config: c, Out: progress.NewWriter(c.Stderr), contents: map[string]contenthash.Content{}}
	m.g = newGuard(m)
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
	contents := make([]contenthash.Content, len(tools))
	unchecked := make([]bool, len(tools))
	for i, t := range tools {
		var err error
		contents[i], err = m.content(t)
		if unchecked[i] = errors.Is(err, ErrUnchecked); err != nil && !unchecked[i] {
			return nil, err
		}
	}
	cat := newCatalog(ctx, m.Engine, m.Recipe.Name)
	out := make([]Status, 0, len(tools))
	for i, t := range tools {
		if unchecked[i] {
			out = append(out, Status{Tool: t, State: Unchecked})
			continue
		}
		out = append(out, m.status(cat, t, contents[i]))
	}
	return out, cat.failed()
}

// content is what t's build is given, read once; empty for a pulled tool.
func (m *Manager) content(t *recipe.Tool) (contenthash.Content, error) {
	if t.Build == "" {
		return contenthash.Content{}, nil
	}
	m.mu.Lock()
	c, ok := m.contents[t.Name]
	m.mu.Unlock()
	if ok {
		return c, nil
	}
	read := m.Content
	if read == nil {
		read = func(t *recipe.Tool) (contenthash.Content, error) {
			return contenthash.ReadContent(Inputs(t, m.CacheDir))
		}
	}
	c, err := read(t)
	if err != nil {
		return c, fmt.Errorf("tool %s: %w", t.Name, err)
	}
	m.mu.Lock()
	m.contents[t.Name] = c
	m.mu.Unlock()
	return c, nil
}

func (m *Manager) status(cat *catalog, t *recipe.Tool, c contenthash.Content) Status {
	st := Status{Tool: t, Ref: t.Image}
	if t.Build != "" {
		id := c.Identity(m.baseIdentity(cat))
		st.Hash, st.Missing = id.Hash, id.Missing
		st.Ref = m.BuiltRef(t, id.Hash)
	}
	m.lockState(&st)
	st.ImageID, _ = cat.resolve(st.Ref)
	st.Digests = cat.repoDigests(st.ImageID)
	st.BuiltHere = t.Build != "" && m.builds().builtHere(st.ImageID, st.Hash)
	switch {
	case c.Unparsed != nil:
		st.State, st.Broken = Broken, c.Unparsed
	case st.ImageID != "" && t.Build != "" && !st.BuiltHere && !m.fromTeam(st):
		st.State = Foreign
	case st.ImageID != "" && len(st.Missing) == 0 && m.isPinned(cat, st):
		st.State = Ready
	case st.ImageID != "" || cat.hasTool(t.Name):
		st.State = Stale
	default:
		st.State = Missing
	}
	return st
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

// fromTeam reports whether a built tool's image came from (or went to) the
// team registry: the Engine knows it by a digest in the tool's repository
// there, which only a pull or a push gives it.
func (m *Manager) fromTeam(st Status) bool {
	return m.Registry != "" && len(digestsIn(st.Digests, m.guard().repository(st.Tool))) > 0
}

// isPinned is false for a frozen built tool whose image on the Engine is not
// the one the lock pins (built here rather than pulled, say).
func (m *Manager) isPinned(cat *catalog, st Status) bool {
	if !m.Frozen || st.Tool.Build == "" || st.Lock != Locked || st.Pinned.Digest == "" {
		return true
	}
	return cat.hasDigest(st.ImageID, st.Pinned.Digest)
}

// baseIdentity is how a base image enters a tool's hash: its registry
// digest, when it was pulled from a registry (as the lock pins it, or as
// the Engine has it); else its image ID, which the lock keeps for a base it
// published, so that publishing a base changes no tool's hash.
func (m *Manager) baseIdentity(cat *catalog) contenthash.Resolver {
	return func(ref string) (string, bool) {
		if b, ok := m.lockedBase(ref); ok && b.ID != "" {
			return b.ID, true
		} else if ok {
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

// Inputs are what t's build is made from, with file hashes remembered in
// cacheDir.
func Inputs(t *recipe.Tool, cacheDir string) contenthash.Inputs {
	in := contenthash.Inputs{Context: t.Build, Dockerfile: t.Dockerfile, Args: t.Args, Target: t.Target, SSH: t.SSH, CacheDir: cacheDir}
	for _, s := range t.Secrets {
		in.Secrets = append(in.Secrets, s.ID)
	}
	for _, k := range t.SSHKeys {
		in.SSHIDs = append(in.SSHIDs, k.ID)
	}
	return in
}

// The Manager's jobs beside image state, each a type of its own on it:
// making tools ready and the lock (pin, verify). The signature policy
// (verify, sign: the guard, guard.go), the builds (BuildKit or the
// classic builder: the builder, build.go) and the team registry (pull,
// push: the team, team.go) are components with state of their own, which
// the Manager makes.
type (
	preparer struct{ *Manager }
	locker   struct{ *Manager }
)

func (m *Manager) preparer() preparer { return preparer{m} }
func (m *Manager) builder() *builder  { return m.b }
func (m *Manager) team() *team        { return m.t }
func (m *Manager) locker() locker     { return locker{m} }
func (m *Manager) guard() *guard      { return m.g }

// Ensure makes t's image ready, building or pulling it when stale.
func (m *Manager) Ensure(ctx context.Context, t *recipe.Tool, force bool) (Status, error) {
	return m.preparer().doEnsure(ctx, t, force)
}

// Prepare makes every tool ready, opts.Jobs at a time.
func (m *Manager) Prepare(ctx context.Context, tools []*recipe.Tool, opts Options) error {
	return m.preparer().doPrepare(ctx, tools, opts)
}

// Push pushes the built tools to the team registry.
func (m *Manager) Push(ctx context.Context, tools []*recipe.Tool) ([]Pushed, error) {
	return m.doPush(ctx, tools)
}

// Pin pins every tool and base by digest, for toolbox.lock.
func (m *Manager) Pin(ctx context.Context, opts PinOptions) (*lockfile.Lock, error) {
	return m.locker().doPin(ctx, opts)
}

// CheckLock lists what no longer matches the lock.
func (m *Manager) CheckLock(ctx context.Context) ([]string, error) {
	return m.locker().doCheckLock(ctx)
}

// VerifyLock refuses a lock that pins what the recipe does not name.
func (m *Manager) VerifyLock() error { return m.locker().doVerifyLock() }
