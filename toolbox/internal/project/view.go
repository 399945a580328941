package project

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/tbx-dev/tbx/toolbox/internal/contenthash"
	"github.com/tbx-dev/tbx/toolbox/internal/exit"
	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/lockfile"
	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/acquire"
	"github.com/tbx-dev/tbx/toolbox/internal/reach"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
	"github.com/tbx-dev/tbx/toolbox/internal/safefile"
	"github.com/tbx-dev/tbx/toolbox/internal/trust"
)

// View is a project as it is on disk, read safely, for the commands that
// only look. It cannot act.
type View struct {
	Recipe   *recipe.Recipe
	Lock     *lockfile.Lock
	Root     string // the project's real root directory
	ID       string // the project's identity: a digest of Root
	Registry string // the team registry in effect
	Reach    []reach.Tool
	Now      trust.Snapshot // what trust fingerprints, as it is now
	Verdict  trust.Verdict

	settings Settings
	passed   []string // where discovery found no recipe, on its way up from Cwd
	store    *trust.Store
	record   *trust.Snapshot                // what was trusted, or nil
	contents map[string]contenthash.Content // what hashContexts read, by tool
}

// Key names the project's containers, volumes and state: its name, for
// people, and its identity, so that two checkouts never share them.
func (v *View) Key() string { return v.Recipe.Name + "-" + v.ID }

// Owned are the labels that every Engine object of this project, made by
// this user, carries.
func (v *View) Owned() map[string]string {
	return map[string]string{labels.Owner: strconv.Itoa(v.settings.UID), labels.Root: v.ID}
}

// RecipePath finds the recipe the settings name: --file, or the nearest one
// upwards from the working directory.
func RecipePath(s Settings) (string, error) {
	path, _, err := discover(s)
	return path, err
}

// discover is RecipePath, with the places discovery passed over.
func discover(s Settings) (path string, passed []string, err error) {
	if s.File != "" {
		if filepath.IsAbs(s.File) {
			return filepath.Clean(s.File), nil, nil
		}
		return filepath.Join(s.Cwd, s.File), nil, nil
	}
	return recipe.Discover(s.Cwd)
}

// Identity is the identity of the project whose real root is root.
func Identity(root string) string {
	sum := sha256.Sum256([]byte(root))
	return hex.EncodeToString(sum[:6])
}

// Inspect reads the project for a command that only looks. What the builds
// are given is hashed for the contexts inside the project, and for those
// outside it only once the project is trusted.
func Inspect(s Settings) (*View, error) {
	v, err := read(s)
	if err != nil {
		return nil, err
	}
	v.hashContexts(v.Verdict.Status.OK())
	return v, nil
}

// read reads the recipe and the lock, and compares the project with its
// trust record, without reading any build context.
func read(s Settings) (*View, error) {
	path, passed, err := discover(s)
	if err != nil {
		return nil, err
	}
	r, err := recipe.Load(path, s.RecipeOptions())
	if err != nil {
		return nil, err
	}
	v := &View{Recipe: r, settings: s, passed: passed, Root: realPath(r.Dir), contents: map[string]contenthash.Content{}}
	v.ID = Identity(v.Root)
	if v.Registry, err = registry(s, r); err != nil {
		return nil, err
	}
	if v.Lock, err = lockfile.Read(lockfile.Path(r.Path)); err != nil {
		return nil, err
	}
	v.Reach = reach.Of(r, v.Registry, s.engineSocket())
	v.store = &trust.Store{Dir: filepath.Join(s.StateDir, "trust"), Covers: s.TrustDirs}
	v.snapshot()
	return v, v.judge()
}

// registry is the team registry in effect: TBX_REGISTRY over the recipe's.
func registry(s Settings, r *recipe.Recipe) (string, error) {
	if s.Registry == "" {
		return r.Registry, nil
	}
	if err := recipe.CheckRegistry(s.Registry); err != nil {
		return "", fmt.Errorf("TBX_REGISTRY: %v", err)
	}
	return s.Registry, nil
}

// snapshot fingerprints the recipe, the lock and where each host path leads.
func (v *View) snapshot() {
	v.Now = trust.Snapshot{
		Recipe:    realPath(v.Recipe.Path),
		RecipeSum: v.Recipe.Sum,
		Keys:      v.Recipe.Keys,
		Contexts:  map[string]string{},
		Files:     map[string]map[string]string{},
		Paths:     map[string]string{},
	}
	v.Now.LockSum = fileSum(lockfile.Path(v.Recipe.Path))
	for _, p := range reach.HostPaths(v.Recipe) {
		v.Now.Paths[p] = leadsTo(p)
	}
	v.Now.Signers = signerSums(v.Recipe)
}

// signerSums fingerprints the signers' key files the recipe names: a key
// swapped in a clone is a change trust sees.
func signerSums(r *recipe.Recipe) map[string]string {
	out := map[string]string{}
	for _, t := range r.Tools {
		for _, k := range t.Signers {
			if _, done := out[k]; !done {
				out[k] = fileSum(k)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// fileSum is the SHA-256 of a project file's bytes, read as a hostile
// clone may have made it; "" for one that is missing or cannot be read.
func fileSum(path string) string {
	b, err := safefile.Read(path, safefile.MaxSize)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// judge compares the snapshot with the trust record.
func (v *View) judge() error {
	if v.settings.TrustOnce {
		v.Verdict = trust.Verdict{Status: trust.Covered}
		return nil
	}
	var err error
	v.Verdict, v.record, err = v.store.Check(v.Now)
	return err
}

// hashContexts adds what each build is given to the snapshot: the contexts
// inside the project, and with all, the others too. A context that cannot be
// read is hashed as what it is, broken: its tool alone is held up.
func (v *View) hashContexts(all bool) {
	for _, t := range v.Recipe.Tools {
		if t.Build == "" || !all && !v.inside(t.Build) {
			continue
		}
		c := contenthash.ReadContent(acquire.Inputs(t, v.settings.CacheDir))
		v.Now.Contexts[t.Name] = c.Sum
		v.Now.Files[t.Name] = c.Entries
		v.contents[t.Name] = c
	}
	if v.record != nil && v.Verdict.Status != trust.Covered {
		v.store.LoadFiles(v.record, v.Now)
		v.Verdict = trust.Compare(*v.record, v.Now)
	}
}

// inside reports whether path leads to somewhere inside the project.
func (v *View) inside(path string) bool {
	return safefile.IsWithin(v.Root, realPath(path))
}

// Refusal is the one line that stops an act on a project its user has not
// trusted as it is: exit 125, before any Engine call.
func (v *View) Refusal() error {
	cmd := "tbx trust"
	if v.settings.File != "" {
		cmd = "tbx --file " + v.settings.File + " trust"
	}
	path := v.Recipe.Path
	switch v.Verdict.Status {
	case trust.Changed:
		return exit.Errorf(exit.Failed, "%s changed since you trusted it (%s); review it with `%s --show`, then run `%s`", path, v.Verdict.Changes[0], cmd, cmd)
	case trust.Redirected:
		return exit.Errorf(exit.Failed, "refusing to act: %s; review it with `%s --show`, then run `%s` if that is what you want", v.Verdict.Changes[0], cmd, cmd)
	}
	return exit.Errorf(exit.Failed, "%s is not trusted yet: it may act on this host; review it with `%s --show`, then run `%s`", path, cmd, cmd)
}

// escapes checks, for a project trusted without a record (TBX_TRUST,
// --trust), that no host path the recipe writes inside the project leads
// outside it.
func (v *View) escapes() error {
	for _, p := range slices.Sorted(maps.Keys(v.Now.Paths)) {
		real := v.Now.Paths[p]
		if real != "" && safefile.IsWithin(v.Recipe.Dir, p) && !safefile.IsWithin(v.Root, real) {
			return exit.Errorf(exit.Failed, "refusing to act: %s leads outside the project, to %s", p, real)
		}
	}
	return nil
}

// leadsTo is where path leads once every link is followed; "" when it
// leads nowhere.
func leadsTo(path string) string {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return ""
	}
	return real
}

func realPath(p string) string {
	if r := leadsTo(p); r != "" {
		return r
	}
	return p
}

// Trust records the project, as it is now, as trusted by its user: the
// recipe, the lock, where each host path leads and what every build is
// given.
func Trust(s Settings) (*View, error) {
	v, err := read(s)
	if err != nil {
		return nil, err
	}
	v.hashContexts(true)
	if err := v.store.Allow(v.Now); err != nil {
		return nil, err
	}
	v.Verdict = trust.Verdict{Status: trust.Trusted}
	return v, nil
}

// Untrust takes back the trust of the recipe the settings name; it reports
// whether there was any, and the recipe's path.
func Untrust(s Settings) (string, bool, error) {
	path, err := RecipePath(s)
	if err != nil {
		return "", false, err
	}
	store := &trust.Store{Dir: filepath.Join(s.StateDir, "trust")}
	had, err := store.Revoke(realPath(path))
	return path, had, err
}
