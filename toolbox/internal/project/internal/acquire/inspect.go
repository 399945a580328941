package acquire

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/tbx-dev/tbx/toolbox/internal/contenthash"
	"github.com/tbx-dev/tbx/toolbox/internal/lockfile"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// inspector tells the state of a recipe's tools' images: what each
// build is given (read once, and checked where the project says), its
// content hash, and what the Engine has under it, against a lock. Every
// other component asks it; it acts on nothing.
type inspector struct {
	engine   Engine
	project  string // the recipe's name, in every built tool's tag
	registry string // the team registry in effect, or ""
	frozen   bool
	read     func(t *recipe.Tool) (contenthash.Content, error)
	builds   builds                      // the record of what this user's tbx built
	team     func(t *recipe.Tool) string // a built tool's repository in the team registry

	mu       sync.Mutex
	contents map[string]contenthash.Content // by tool: read once
}

// newInspector reads builds with c.Content (unchecked when nil), and
// knows an image that came from the team registry by team's repository.
func newInspector(c Config, b builds, team func(t *recipe.Tool) string) *inspector {
	in := &inspector{engine: c.Engine, registry: c.Registry, frozen: c.Frozen, read: c.Content, builds: b, team: team,
		contents: map[string]contenthash.Content{}}
	if c.Recipe != nil {
		in.project = c.Recipe.Name
	}
	if in.read == nil {
		in.read = func(t *recipe.Tool) (contenthash.Content, error) {
			return contenthash.ReadContent(Inputs(t, c.CacheDir)), nil
		}
	}
	return in
}

// inspect tells the state of each tool under lock, with one image listing
// for all. What the builds are given is read (and checked) first, before
// the Engine is asked anything.
func (in *inspector) inspect(ctx context.Context, lock *lockfile.Lock, tools []*recipe.Tool) ([]Status, error) {
	contents := make([]contenthash.Content, len(tools))
	unchecked := make([]bool, len(tools))
	for i, t := range tools {
		var err error
		contents[i], err = in.content(t)
		if unchecked[i] = errors.Is(err, ErrUnchecked); err != nil && !unchecked[i] {
			return nil, err
		}
	}
	cat := newCatalog(ctx, in.engine, in.project)
	out := make([]Status, 0, len(tools))
	for i, t := range tools {
		if unchecked[i] {
			out = append(out, Status{Tool: t, State: Unchecked})
			continue
		}
		out = append(out, in.status(cat, lock, t, contents[i]))
	}
	return out, cat.failed()
}

// content is what t's build is given, read once; empty for a pulled tool.
func (in *inspector) content(t *recipe.Tool) (contenthash.Content, error) {
	if t.Build == "" {
		return contenthash.Content{}, nil
	}
	in.mu.Lock()
	c, ok := in.contents[t.Name]
	in.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := in.read(t)
	if err != nil {
		return c, fmt.Errorf("tool %s: %w", t.Name, err)
	}
	in.mu.Lock()
	in.contents[t.Name] = c
	in.mu.Unlock()
	return c, nil
}

// status is t's image under lock, as cat has it.
func (in *inspector) status(cat *catalog, lock *lockfile.Lock, t *recipe.Tool, c contenthash.Content) Status {
	st := Status{Tool: t, Ref: t.Image}
	if t.Build != "" {
		id := c.Identity(baseIdentity(cat, lock))
		st.Hash, st.Missing = id.Hash, id.Missing
		st.Ref = builtRef(in.project, t, id.Hash)
	}
	lockState(lock, &st)
	st.ImageID, _ = cat.resolve(st.Ref)
	st.Digests = cat.repoDigests(st.ImageID)
	st.BuiltHere = t.Build != "" && in.builds.builtHere(st.ImageID, st.Hash)
	switch {
	case c.Broken != nil:
		st.State, st.Broken = Broken, c.Broken
	case st.ImageID != "" && t.Build != "" && !st.BuiltHere && !in.fromTeam(st):
		st.State = Foreign
	case st.ImageID != "" && len(st.Missing) == 0 && in.isPinned(cat, st):
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
func lockState(lock *lockfile.Lock, st *Status) {
	if lock == nil {
		return
	}
	pin, ok := lock.Tools[st.Tool.Name]
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
func (in *inspector) fromTeam(st Status) bool {
	return in.registry != "" && len(digestsIn(st.Digests, in.team(st.Tool))) > 0
}

// isPinned is false for a frozen built tool whose image on the Engine is not
// the one the lock pins (built here rather than pulled, say).
func (in *inspector) isPinned(cat *catalog, st Status) bool {
	if !in.frozen || st.Tool.Build == "" || st.Lock != Locked || st.Pinned.Digest == "" {
		return true
	}
	return cat.hasDigest(st.ImageID, st.Pinned.Digest)
}

// baseIdentity is how a base image enters a tool's hash: its registry
// digest, when it was pulled from a registry (as lock pins it, or as the
// Engine has it); else its image ID, which the lock keeps for a base it
// published, so that publishing a base changes no tool's hash.
func baseIdentity(cat *catalog, lock *lockfile.Lock) contenthash.Resolver {
	return func(ref string) (string, bool) {
		if lock != nil {
			if b, ok := lock.Bases[ref]; ok && b.ID != "" {
				return b.ID, true
			} else if ok {
				return "digest " + b.Digest, true
			}
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

// builtRef names a built tool's image of project by its content hash.
func builtRef(project string, t *recipe.Tool, hash string) string {
	return fmt.Sprintf("tbx/%s/%s:%s", project, t.Name, hash[:HashLen])
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
