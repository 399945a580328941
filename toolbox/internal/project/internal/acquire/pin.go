package acquire

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/distribution/reference"

	"github.com/tbx-dev/tbx/toolbox/internal/lockfile"
	"github.com/tbx-dev/tbx/toolbox/internal/progress"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// locker pins the recipe's tools and bases by digest for toolbox.lock,
// and checks a lock against the recipe and its build inputs.
type locker struct {
	state    *inspector
	lock     *lockfile.Lock // the lock in effect, or nil
	guard    *guard
	team     *team
	engine   Engine
	out      *progress.Writer
	recipe   *recipe.Recipe
	registry string // the team registry in effect, or ""
}

// baseRefs lists the images a built tool's Dockerfile starts from.
func (lk *locker) baseRefs(t *recipe.Tool) ([]string, error) {
	c, err := lk.state.content(t)
	return c.Bases, err
}

// pinnedBases are the tool's bases that the lock pins, by the reference the
// Dockerfile names: a build starts from exactly those, taken from the
// registry in effect where the lock pins them in the team registry or a
// mirror of it.
func (lk *locker) pinnedBases(t *recipe.Tool) (map[string]lockfile.Base, error) {
	if lk.lock == nil || len(lk.lock.Bases) == 0 {
		return nil, nil
	}
	refs, err := lk.baseRefs(t)
	if err != nil {
		return nil, err
	}
	out := map[string]lockfile.Base{}
	for _, ref := range refs {
		if b, ok := lk.lock.Bases[ref]; ok {
			b.Image = throughRegistry(lk.recipe, lk.registry, b.Image)
			out[ref] = b
		}
	}
	return out, nil
}

// PinOptions say how `tbx lock` pins.
type PinOptions struct {
	Update bool // resolve tags and pin bases again, even those the lock already pins
}

// pin computes the lock for the recipe as it is. Bases are pinned by their
// registry digest; a base that exists only on this Engine is published to
// the team registry first. Built tools are pinned by content hash and by the
// digest of their image in the team registry (pushed if it is not there);
// pulled tools by the digest their tag has now. Pins of the current lock
// stay unless opts.Update.
func (lk *locker) pin(ctx context.Context, opts PinOptions) (*lockfile.Lock, error) {
	if _, err := lk.guard.signingKey(); err != nil {
		return nil, err // a key that cannot sign stops the lock before anything is published
	}
	old, next := lk.lock, lockfile.New()
	if redirects, err := lk.lockRedirects(); err != nil || len(redirects) > 0 {
		if err != nil {
			return nil, err
		}
		lk.out.Printf("toolbox.lock does not match the recipe (%s): pinning everything again", redirects[0])
		old = nil
	}
	if opts.Update {
		old = nil
	}
	cat := newCatalog(ctx, lk.engine, lk.recipe.Name)
	for _, t := range lk.recipe.Tools {
		if t.Build != "" {
			if err := lk.pinBases(ctx, cat, t, old, next); err != nil {
				return nil, err
			}
		}
	}
	var unpublished []string
	for _, t := range lk.recipe.Tools {
		pin, err := lk.pinTool(ctx, cat, t, old, next)
		if err != nil && (pin.Hash == "" || pin.Digest != "") {
			return nil, err // not pinned at all, or published but not signed: no lock is written
		}
		if err != nil {
			lk.out.Printf("warning: %v", err)
			unpublished = append(unpublished, t.Name)
		}
		if pin.Signers, err = lk.guard.fingerprints(t); err != nil {
			return nil, err
		}
		next.Tools[t.Name] = pin
	}
	if len(unpublished) > 0 {
		return next, fmt.Errorf("toolbox.lock pins %s by hash only: not published in the team registry (see the warnings above); `tbx prepare --frozen` will refuse them until they are", strings.Join(unpublished, ", "))
	}
	return next, nil
}

func (lk *locker) pinBases(ctx context.Context, cat *catalog, t *recipe.Tool, old, next *lockfile.Lock) error {
	refs, err := lk.baseRefs(t)
	if err != nil {
		return err
	}
	for _, ref := range refs {
		if _, done := next.Bases[ref]; done {
			continue
		}
		if b, ok := oldBase(old, ref); ok {
			next.Bases[ref] = b
			continue
		}
		b, err := lk.pinBase(ctx, cat, t, ref)
		if err != nil {
			return err
		}
		next.Bases[ref] = b
	}
	return nil
}

// pinBase pins the base ref as the Engine has it: by the digest it was
// pulled with, or, for an image made here, by publishing it to the team
// registry as REGISTRY/base/NAME:TAG.
func (lk *locker) pinBase(ctx context.Context, cat *catalog, t *recipe.Tool, ref string) (lockfile.Base, error) {
	id, ok := cat.resolve(ref)
	if !ok {
		return lockfile.Base{}, fmt.Errorf("tool %s: base image %s is not on the Engine; run `tbx prepare %s` first", t.Name, ref, t.Name)
	}
	named, _ := reference.ParseNormalizedNamed(ref)
	if d := cat.repoDigest(id, ref); d != "" {
		return lockfile.Base{Digest: d, Image: named.Name() + "@" + d}, nil
	}
	if lk.registry == "" {
		return lockfile.Base{}, fmt.Errorf("tool %s: base image %s exists only on this Engine; set [toolbox] registry (or TBX_REGISTRY) so that `tbx lock` can publish it for the team", t.Name, ref)
	}
	target := lk.registry + "/base/" + baseName(named)
	if err := lk.engine.ImageTag(ctx, id, target); err != nil {
		return lockfile.Base{}, fmt.Errorf("tagging base image %s as %s: %w", ref, target, err)
	}
	lk.out.Printf("%s: publishing base image %s as %s", t.Name, ref, target)
	d, err := lk.team.push(ctx, target, t.Name)
	if err != nil {
		return lockfile.Base{}, fmt.Errorf("tool %s: publishing base image %s: %w", t.Name, ref, err)
	}
	pinned := lk.registry + "/base/" + reference.Path(named) + "@" + d
	if tn, err := reference.ParseNormalizedNamed(target); err == nil {
		pinned = tn.Name() + "@" + d
	}
	cat.remember(pinned, id, pinned)
	return lockfile.Base{Digest: d, Image: pinned, ID: id}, nil
}

// baseName is a base's path and tag under REGISTRY/base/: debian:bookworm-slim
// stays itself, a registry host becomes a path element.
func baseName(named reference.Named) string {
	path := reference.FamiliarName(named)
	path = strings.NewReplacer(":", "-").Replace(path)
	tag := "latest"
	if tg, ok := named.(reference.Tagged); ok {
		tag = tg.Tag()
	}
	return path + ":" + tag
}

func oldBase(old *lockfile.Lock, ref string) (lockfile.Base, bool) {
	if old == nil {
		return lockfile.Base{}, false
	}
	b, ok := old.Bases[ref]
	return b, ok
}

func oldTool(old *lockfile.Lock, name string) (lockfile.Tool, bool) {
	if old == nil {
		return lockfile.Tool{}, false
	}
	t, ok := old.Tools[name]
	return t, ok
}

// pinTool pins one tool, with next's bases already pinned.
func (lk *locker) pinTool(ctx context.Context, cat *catalog, t *recipe.Tool, old, next *lockfile.Lock) (lockfile.Tool, error) {
	if t.Image != "" {
		if pin, ok := oldTool(old, t.Name); ok && pin.Ref == t.Image {
			return pin, nil
		}
		return lk.pinImage(ctx, t)
	}
	c, err := lk.state.content(t)
	if err != nil {
		return lockfile.Tool{}, err
	}
	st := lk.state.status(cat, next, t, c) // with the bases next pins
	pin := lockfile.Tool{Hash: st.Hash}
	if lk.registry == "" {
		return pin, nil
	}
	if prev, ok := oldTool(old, t.Name); ok && prev.Hash == st.Hash && prev.Digest != "" {
		return prev, nil
	}
	if st.State != Ready && !lk.adoptUnpinned(ctx, cat, t, st, old, next) {
		return pin, lk.findPublished(ctx, st, &pin)
	}
	// Pushed already (prepare --push) or pulled from there, it is not
	// pushed again: each image is pushed once.
	p, err := lk.team.publish(ctx, st)
	pin.Digest = p.Digest
	return pin, err
}

// adoptUnpinned tags the image built before the bases were pinned as the
// pinned build, when it was built from exactly the pinned bases: the same
// inputs, so the same image.
func (lk *locker) adoptUnpinned(ctx context.Context, cat *catalog, t *recipe.Tool, st Status, old, pins *lockfile.Lock) bool {
	c, err := lk.state.content(t)
	if err != nil {
		return false
	}
	prev := lk.state.status(cat, old, t, c)
	if prev.State != Ready || prev.Ref == st.Ref {
		return false
	}
	refs, err := lk.baseRefs(t)
	if err != nil {
		return false
	}
	for _, ref := range refs {
		local, ok1 := cat.resolve(ref)
		pinned, ok2 := cat.resolve(pins.Bases[ref].Image)
		if !ok1 || !ok2 || local != pinned {
			return false
		}
	}
	if !prev.BuiltHere || lk.engine.ImageTag(ctx, prev.Ref, st.Ref) != nil {
		return false
	}
	lk.state.builds.recordBuilt(prev.ImageID, st.Hash) // the same build, now under the pinned bases' hash
	return true
}

// findPublished records the digest of a build someone else published.
func (lk *locker) findPublished(ctx context.Context, st Status, pin *lockfile.Tool) error {
	ref := lk.team.teamRef(st.Tool, st.Hash)
	d, err := lk.team.inspect(ctx, ref)
	if re, ok := asRegistryError(err); ok {
		return fmt.Errorf("tool %s is neither on this Engine nor in the team registry as %s (%s); run `tbx prepare --push %s`, then `tbx lock`", st.Tool.Name, ref, oneLine(re.err.Error()), st.Tool.Name)
	}
	pin.Digest = d.Descriptor.Digest.String()
	return nil
}

// pinImage resolves a pulled tool's tag to the digest it has now.
func (lk *locker) pinImage(ctx context.Context, t *recipe.Tool) (lockfile.Tool, error) {
	named, err := reference.ParseNormalizedNamed(t.Image)
	if err != nil {
		return lockfile.Tool{}, fmt.Errorf("tool %s: %w", t.Name, err)
	}
	if dg, ok := named.(reference.Digested); ok {
		return lockfile.Tool{Ref: t.Image, Digest: dg.Digest().String(), Image: named.Name() + "@" + dg.Digest().String()}, nil
	}
	d, err := lk.team.inspect(ctx, t.Image)
	if err != nil {
		return lockfile.Tool{}, fmt.Errorf("tool %s: %w", t.Name, err)
	}
	digest := d.Descriptor.Digest.String()
	return lockfile.Tool{Ref: t.Image, Digest: digest, Image: named.Name() + "@" + digest}, nil
}

// checkLock lists how the lock differs from the recipe and its build
// inputs, one line each; none when it matches.
func (lk *locker) checkLock(ctx context.Context) ([]string, error) {
	if lk.lock == nil {
		return []string{"there is no toolbox.lock next to the recipe; run `tbx lock`"}, nil
	}
	sts, err := lk.state.inspect(ctx, lk.lock, lk.recipe.Tools)
	if err != nil {
		return nil, err
	}
	var out []string
	used := map[string]bool{}
	for _, st := range sts {
		out = append(out, lockProblem(st)...)
		if p := lk.guard.signersProblem(st); p != "" {
			out = append(out, p)
		}
		if st.Tool.Build == "" {
			continue
		}
		refs, err := lk.baseRefs(st.Tool)
		if err != nil {
			return nil, err
		}
		for _, ref := range refs {
			used[ref] = true
			if _, ok := lk.lock.Bases[ref]; !ok {
				out = append(out, fmt.Sprintf("tool %s: base image %s is not pinned", st.Tool.Name, ref))
			}
		}
	}
	redirects, err := lk.lockRedirects()
	if err != nil {
		return nil, err
	}
	out = append(out, redirects...)
	for ref := range lk.lock.Bases {
		if !used[ref] {
			out = append(out, fmt.Sprintf("base image %s: pinned, but no tool starts from it any more", ref))
		}
	}
	sort.Strings(out)
	return out, nil
}

func lockProblem(st Status) []string {
	t := st.Tool
	switch {
	case st.Lock == Unlocked:
		return []string{fmt.Sprintf("tool %s: not in the lock", t.Name)}
	case st.Lock == Changed && t.Image != "":
		return []string{fmt.Sprintf("tool %s: image changed (locked %s, recipe %s)", t.Name, st.Pinned.Ref, t.Image)}
	case st.Lock == Changed:
		return []string{fmt.Sprintf("tool %s: build inputs changed (locked %s, now %s)", t.Name, short(st.Pinned.Hash), short(st.Hash))}
	}
	return nil
}
