package acquire

import (
	"fmt"
	"maps"
	"slices"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

	"github.com/tbx-dev/tbx/toolbox/internal/contenthash"
	"github.com/tbx-dev/tbx/toolbox/internal/lockfile"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// verifyLock checks that toolbox.lock can only pin what the recipe names:
// a pulled tool at the recipe's repository, a built tool in the team
// registry's repository for it, a base at the repository the Dockerfile
// names (or its copy that `tbx lock` published under the team registry:
// the recipe's, or TBX_REGISTRY), and no tool the
// recipe lacks. A lock edited to run or build from another image fails
// here, whatever trust says. It reads the Dockerfiles, not the Engine.
func (lk *locker) verifyLock() error {
	problems, err := lk.lockRedirects()
	if err != nil || len(problems) == 0 {
		return err
	}
	return fmt.Errorf("%s does not match the recipe: %s; run `tbx lock` to write it again from the recipe", lockfile.Path(lk.recipe.Path), problems[0])
}

// lockRedirects lists, one line each, what the lock pins that the recipe
// does not name.
func (lk *locker) lockRedirects() ([]string, error) {
	l := lk.lock
	if l == nil {
		return nil, nil
	}
	var out []string
	for _, name := range slices.Sorted(maps.Keys(l.Tools)) {
		if p := lk.toolRedirect(name, l.Tools[name]); p != "" {
			out = append(out, p)
		}
	}
	named, err := lk.namedBases()
	if err != nil {
		return nil, err
	}
	for _, ref := range slices.Sorted(maps.Keys(l.Bases)) {
		if !named[ref] {
			continue // unused: it redirects nothing (lock --check says it is stale)
		}
		if p := lk.baseRedirect(ref, l.Bases[ref]); p != "" {
			out = append(out, p)
		}
	}
	return out, nil
}

func (lk *locker) toolRedirect(name string, pin lockfile.Tool) string {
	t := lk.recipe.Tool(name)
	switch {
	case t == nil:
		return fmt.Sprintf("it pins tool %s, which the recipe does not have", name)
	case t.Build != "" && (pin.Ref != "" || pin.Image != ""):
		return fmt.Sprintf("tool %s is built, but the lock pins an image for it (%s)", name, pin.Image+pin.Ref)
	case t.Build != "" && pin.Digest != "" && digest.Digest(pin.Digest).Validate() != nil:
		return fmt.Sprintf("tool %s: %q is not a digest", name, pin.Digest)
	case t.Image != "" && pin.Hash != "":
		return fmt.Sprintf("tool %s is pulled, but the lock pins a build for it", name)
	case t.Image != "" && pin.Ref == t.Image:
		return pulledRedirect(t, pin)
	}
	return ""
}

// pulledRedirect checks a pulled tool's pin: repository@digest of the very
// repository the recipe names, at the recipe's digest when it names one.
func pulledRedirect(t *recipe.Tool, pin lockfile.Tool) string {
	want, _ := reference.ParseNormalizedNamed(t.Image)
	if dg, ok := want.(reference.Digested); ok && dg.Digest().String() != pin.Digest {
		return fmt.Sprintf("tool %s: the recipe pins %s, the lock %s", t.Name, dg.Digest(), pin.Digest)
	}
	if !sameRepoAt(pin.Image, []string{want.Name()}, pin.Digest) {
		return fmt.Sprintf("tool %s: the lock runs %s, which is not %s at its digest %s", t.Name, pin.Image, want.Name(), pin.Digest)
	}
	return ""
}

func (lk *locker) baseRedirect(ref string, pin lockfile.Base) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return fmt.Sprintf("base image %s is not a reference", ref)
	}
	repos := []string{named.Name()}
	for _, reg := range append([]string{lk.registry, lk.recipe.Registry}, lk.recipe.Mirrors...) {
		if team, err := reference.ParseNormalizedNamed(reg + "/base/" + baseName(named)); reg != "" && err == nil {
			repos = append(repos, team.Name())
		}
	}
	if !sameRepoAt(pin.Image, repos, pin.Digest) {
		return fmt.Sprintf("base image %s: the lock builds from %s, which is not %s at its digest %s", ref, pin.Image, named.Name(), pin.Digest)
	}
	return ""
}

// sameRepoAt reports whether image is repo@dgst for one of repos, and dgst
// a valid digest.
func sameRepoAt(image string, repos []string, dgst string) bool {
	if digest.Digest(dgst).Validate() != nil {
		return false
	}
	ref, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return false
	}
	d, ok := ref.(reference.Canonical)
	if !ok || d.Digest().String() != dgst {
		return false
	}
	if _, tagged := ref.(reference.Tagged); tagged {
		return false
	}
	for _, r := range repos {
		if d.Name() == r {
			return true
		}
	}
	return false
}

// namedBases are the bases some Dockerfile of the recipe names.
func (lk *locker) namedBases() (map[string]bool, error) {
	out := map[string]bool{}
	for _, t := range lk.recipe.Tools {
		if t.Build == "" {
			continue
		}
		in := Inputs(t, "")
		if contenthash.Absent(in) != nil {
			continue // a tool whose files are not there names no base: it is never built
		}
		df, err := contenthash.ReadDockerfile(in)
		if err != nil {
			return nil, fmt.Errorf("tool %s: %w", t.Name, err)
		}
		refs, err := contenthash.Bases(df, t.Args)
		if err != nil {
			continue // a broken tool names no base: it is never built
		}
		for _, r := range refs {
			out[r] = true
		}
	}
	return out, nil
}
