package acquire

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tbx-dev/tbx/toolbox/internal/engine"
	"github.com/tbx-dev/tbx/toolbox/internal/lockfile"
	"github.com/tbx-dev/tbx/toolbox/internal/progress"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// Options say how tools are acquired.
type Options struct {
	Force  bool // build again (without cache) or pull again even when ready
	Jobs   int  // how many acquisitions run at once
	Pull   bool // pull pulled tools only; built tools are left alone
	Build  bool // build built tools only
	Frozen bool // exactly what the lock pins
	Push   bool // push the built tools afterwards
}

// preparer makes tools ready, a call's worth: from the team registry when
// it has them, else by building or pulling; frozen, exactly what the lock
// pins; each checked against the signature policy before it is used.
type preparer struct {
	state   *inspector
	lock    *lockfile.Lock // the lock in effect, or nil
	guard   *guard
	team    *team
	builder *builder
	tagger  interface {
		ImageTag(ctx context.Context, source, target string) error
	}
	out        *progress.Writer
	mode       progress.Mode
	frozen     bool
	registry   string // the team registry in effect, or ""
	lockDir    string // where build locks are kept
	recipePath string
	acquired   atomic.Int32 // how many tools this preparer built or pulled
}

// ensure makes one tool's image ready: from the team registry when it has
// it, else by building or pulling; frozen, exactly what the lock pins.
func (pr *preparer) ensure(ctx context.Context, t *recipe.Tool, force bool, mode progress.Mode) (Status, error) {
	st, err := pr.one(ctx, t)
	if err != nil {
		return st, err
	}
	if st.State == Broken {
		return st, &BrokenError{Tool: t.Name, Err: st.Broken}
	}
	if pr.frozen {
		// Before anything else: a stale lock fails even where an image is at hand.
		if err := pr.frozenCheck(st); err != nil {
			return st, err
		}
	}
	if st.State == Ready && !force {
		return st, pr.guard.check(ctx, st)
	}
	start := time.Now()
	pr.acquired.Add(1)
	how, err := pr.acquire(ctx, st, force, mode)
	if err != nil {
		return st, err
	}
	pr.out.Printf("%s: ready, %s (%s)", t.Name, how, time.Since(start).Round(100*time.Millisecond))
	if st, err = pr.one(ctx, t); err != nil {
		return st, err
	}
	return st, pr.guard.check(ctx, st)
}

// acquire gets st's image and says how: pulled, pulled from the team
// registry, or built.
func (pr *preparer) acquire(ctx context.Context, st Status, force bool, mode progress.Mode) (string, error) {
	t := st.Tool
	if t.Image != "" {
		return "pulled", pr.pullImage(ctx, st, mode)
	}
	if pr.registry != "" && !force {
		err := pr.team.pullTeam(ctx, st, mode)
		if err == nil {
			return "pulled from the team registry", nil
		}
		re, _ := asRegistryError(err)
		switch {
		case isRefusal(err):
			return "", err
		case pr.frozen:
			return "", pr.frozenPullError(st, err)
		case re == nil || !re.notFound():
			pr.out.Printf("warning: %s: %v; building it instead", t.Name, err)
		default:
			pr.out.Printf("%s: not in the team registry yet; building it", t.Name)
		}
	}
	if pr.frozen {
		return "", fmt.Errorf("tool %s: --frozen never builds, and there is no team registry to pull it from: set [toolbox] registry or TBX_REGISTRY", t.Name)
	}
	if _, err := pr.ensureBuilt(ctx, st, force, mode); err != nil {
		return "", err
	}
	return "built", nil
}

// pullImage pulls a pulled tool's image; one the recipe wants signed by
// the digest just verified, tagged then as the recipe names it.
func (pr *preparer) pullImage(ctx context.Context, st Status, mode progress.Mode) error {
	t, ref := st.Tool, st.Ref
	if len(t.Signers) > 0 {
		var err error
		if ref, err = pr.guard.verifyRef(ctx, t, st.Ref); err != nil {
			return wrapTool(t, err)
		}
	}
	pr.out.Printf("%s: pulling %s", t.Name, ref)
	if err := pr.team.pull(ctx, ref, t.Name, mode); err != nil {
		return fmt.Errorf("tool %s: %w", t.Name, err)
	}
	if ref == st.Ref {
		return nil
	}
	if err := pr.tagger.ImageTag(ctx, ref, st.Ref); err != nil {
		return fmt.Errorf("tagging %s as %s: %w", ref, st.Ref, err)
	}
	return nil
}

// wrapTool names t in err, unless a refusal already does.
func wrapTool(t *recipe.Tool, err error) error {
	if isRefusal(err) {
		return err
	}
	return fmt.Errorf("tool %s: %w", t.Name, err)
}

// frozenCheck refuses, with one line naming the tool, what frozen mode
// cannot do: run a tool the lock does not pin as the recipe says.
func (pr *preparer) frozenCheck(st Status) error {
	t := st.Tool
	switch {
	case pr.lock == nil:
		return pr.noLock()
	case st.Lock == Unlocked:
		return fmt.Errorf("tool %s is not in toolbox.lock (--frozen); run `tbx lock` and commit toolbox.lock", t.Name)
	case st.Lock == Changed && t.Image != "":
		return fmt.Errorf("tool %s: toolbox.lock is stale (--frozen): the recipe names %s, the lock %s; run `tbx lock`", t.Name, t.Image, st.Pinned.Ref)
	case st.Lock == Changed:
		return fmt.Errorf("tool %s: toolbox.lock is stale (--frozen): its build inputs changed since `tbx lock` (locked %s, now %s); run `tbx prepare --push` and `tbx lock`", t.Name, short(st.Pinned.Hash), short(st.Hash))
	case t.Build != "" && st.Pinned.Digest == "":
		return fmt.Errorf("tool %s: toolbox.lock has no digest for it (locked without a team registry); run `tbx prepare --push` and `tbx lock` with the registry set", t.Name)
	case t.Build != "" && pr.registry == "":
		return fmt.Errorf("tool %s: --frozen pulls it from the team registry, and there is none: set [toolbox] registry or TBX_REGISTRY", t.Name)
	}
	if p := pr.guard.signersProblem(st); p != "" {
		return fmt.Errorf("toolbox.lock is stale (--frozen): %s; run `tbx lock`", p)
	}
	return nil
}

// noLock is why --frozen cannot work in a project with no lock.
func (pr *preparer) noLock() error {
	return fmt.Errorf("--frozen needs %s next to %s; run `tbx lock` where the tools are published, and commit it", "toolbox.lock", pr.recipePath)
}

func (pr *preparer) frozenPullError(st Status, err error) error {
	if re, ok := asRegistryError(err); ok && re.notFound() {
		return fmt.Errorf("tool %s: %s is not in the team registry (--frozen never builds); publish it with `tbx prepare --push` and `tbx lock`", st.Tool.Name, pr.team.teamPull(st))
	}
	return fmt.Errorf("tool %s (--frozen never builds): %w", st.Tool.Name, err)
}

func short(hash string) string {
	if len(hash) > HashLen {
		return hash[:HashLen]
	}
	return hash
}

// ensureBuilt pulls missing base images, then builds under a lock.
func (pr *preparer) ensureBuilt(ctx context.Context, st Status, force bool, mode progress.Mode) (Status, error) {
	t := st.Tool
	if err := pr.pullBases(ctx, st, mode); err != nil {
		return st, err
	}
	if len(st.Missing) > 0 {
		// The bases' IDs are part of the hash: only now is it final.
		var err error
		if st, err = pr.one(ctx, t); err != nil {
			return st, err
		}
	}
	unlock, err := buildLock(ctx, pr.lockDir, st.Hash)
	if err != nil {
		return st, err
	}
	defer unlock()
	if !force {
		// Another tbx may have built it while this one waited for the lock.
		if st, err = pr.one(ctx, t); err != nil || st.State == Ready {
			return st, err
		}
	}
	pr.out.Printf("%s: building %s from %s", t.Name, st.Ref, t.Build)
	return pr.builder.build(ctx, st, force, mode)
}

// pullBases fetches the base images a build needs: the pinned ones by their
// locked digest, the others by name.
func (pr *preparer) pullBases(ctx context.Context, st Status, mode progress.Mode) error {
	t := st.Tool
	for _, base := range st.Missing {
		pr.out.Printf("%s: base image %s is not on the Engine; pulling it", t.Name, base)
		if err := pr.team.pull(ctx, base, t.Name, mode); err != nil {
			return fmt.Errorf("tool %s: base image %s is missing and %v; pull or load it (docker load, docker import), then retry", t.Name, base, err)
		}
	}
	pins, cat, err := pr.builder.pinnedOnEngine(ctx, t)
	if err != nil {
		return err
	}
	for ref, pin := range pins {
		if _, ok := cat.resolve(pin.Image); ok {
			continue
		}
		pr.out.Printf("%s: pulling base image %s as toolbox.lock pins it (%s)", t.Name, ref, pin.Image)
		if err := pr.team.pull(ctx, pin.Image, t.Name, mode); err != nil {
			return fmt.Errorf("tool %s: base image %s: %w", t.Name, ref, err)
		}
	}
	return nil
}

func (pr *preparer) one(ctx context.Context, t *recipe.Tool) (Status, error) {
	sts, err := pr.state.inspect(ctx, pr.lock, []*recipe.Tool{t})
	if err != nil {
		return Status{}, err
	}
	return sts[0], nil
}

// prepare makes every tool ready, opts.Jobs at a time. Each failure is
// reported as it happens; the error names the tools that failed.
func (pr *preparer) prepare(ctx context.Context, tools []*recipe.Tool, opts Options) error {
	if pr.frozen && pr.lock == nil {
		return pr.noLock() // one line for the project, not one per tool
	}
	if opts.Push {
		// A key that cannot sign what is pushed stops the job before any build.
		if err := pr.guard.checkSigning(tools); err != nil {
			return err
		}
	}
	tools = selectTools(tools, opts)
	mode := pr.mode
	if len(tools) > 1 && opts.Jobs > 1 && mode == progress.Live {
		mode = progress.Quiet
	}
	sem := make(chan struct{}, max(opts.Jobs, 1))
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed []string
		errs   []error
	)
	for _, t := range tools {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if _, err := pr.ensure(ctx, t, opts.Force, mode); err != nil {
				mu.Lock()
				failed, errs = append(failed, t.Name), append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) == 0 && pr.acquired.Load() == 0 {
		pr.out.Printf("%s ready; nothing to do", countTools(len(tools)))
	}
	return pr.summarize(failed, errs, len(tools))
}

func countTools(n int) string {
	if n == 1 {
		return "1 tool"
	}
	return fmt.Sprintf("all %d tools", n)
}

func selectTools(tools []*recipe.Tool, opts Options) []*recipe.Tool {
	var out []*recipe.Tool
	for _, t := range tools {
		if opts.Pull && t.Image == "" || opts.Build && t.Build == "" {
			continue
		}
		out = append(out, t)
	}
	return out
}

// summarize returns the one failure as it is, or names each of several.
func (pr *preparer) summarize(failed []string, errs []error, total int) error {
	switch {
	case len(errs) == 0:
		return nil
	case len(errs) == 1 || allUnreachable(errs):
		return errs[0] // an Engine that is not there is said once, not per tool
	}
	for i, err := range errs {
		pr.out.Printf("%s: failed: %v", failed[i], err)
	}
	sort.Strings(failed)
	return fmt.Errorf("%d of %d tools failed (%s); each one's error is above", len(errs), total, strings.Join(failed, ", "))
}

// allUnreachable reports whether every failure is the Engine not answering.
func allUnreachable(errs []error) bool {
	for _, err := range errs {
		if !engine.Unreachable(err) {
			return false
		}
	}
	return true
}

// BrokenError is a tool whose Dockerfile does not parse, or whose build's
// files are not there: it is neither built nor run, and says so in one
// line naming the file (and line).
type BrokenError struct {
	Tool string
	Err  error
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("tool %s: %v; fix it (the recipe's other tools build and run meanwhile)", e.Tool, e.Err)
}

func (e *BrokenError) Unwrap() error { return e.Err }
