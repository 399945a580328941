package acquire

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tbx-dev/tbx/toolbox/progress"
	"github.com/tbx-dev/tbx/toolbox/recipe"
)

// Options say how tools are acquired.
type Options struct {
	Force bool // build again (without cache) or pull again even when ready
	Jobs  int  // how many acquisitions run at once
	Pull  bool // pull pulled tools only; built tools are left alone
	Build bool // build built tools only
}

// Ensure makes one tool's image ready, building or pulling as needed.
func (m *Manager) Ensure(ctx context.Context, t *recipe.Tool, force bool) (Status, error) {
	return m.ensure(ctx, t, force, m.Mode)
}

func (m *Manager) ensure(ctx context.Context, t *recipe.Tool, force bool, mode progress.Mode) (Status, error) {
	st, err := m.one(ctx, t)
	if err != nil || st.State == Ready && !force {
		return st, err
	}
	start := time.Now()
	if t.Image != "" {
		m.Out.Printf("%s: pulling %s", t.Name, t.Image)
		if err := m.pull(ctx, t.Image, t.Name, mode); err != nil {
			return st, fmt.Errorf("tool %s: %w", t.Name, err)
		}
	} else if st, err = m.ensureBuilt(ctx, st, force, mode); err != nil {
		return st, err
	}
	m.Out.Printf("%s: ready (%s)", t.Name, time.Since(start).Round(100*time.Millisecond))
	return m.one(ctx, t)
}

// ensureBuilt pulls missing base images, then builds under a lock.
func (m *Manager) ensureBuilt(ctx context.Context, st Status, force bool, mode progress.Mode) (Status, error) {
	t := st.Tool
	if len(st.Missing) > 0 {
		for _, base := range st.Missing {
			m.Out.Printf("%s: base image %s is not on the Engine; pulling it", t.Name, base)
			if err := m.pull(ctx, base, t.Name, mode); err != nil {
				return st, fmt.Errorf("tool %s: base image %s is missing and %v; pull or load it (docker load, docker import), then retry", t.Name, base, err)
			}
		}
		// The bases' IDs are part of the hash: only now is it final.
		var err error
		if st, err = m.one(ctx, t); err != nil {
			return st, err
		}
	}
	unlock, err := lock(ctx, st.Hash)
	if err != nil {
		return st, err
	}
	defer unlock()
	if !force {
		// Another tbx may have built it while this one waited for the lock.
		if st, err = m.one(ctx, t); err != nil || st.State == Ready {
			return st, err
		}
	}
	m.Out.Printf("%s: building %s from %s", t.Name, st.Ref, t.Build)
	return m.build(ctx, st, force, mode)
}

func (m *Manager) one(ctx context.Context, t *recipe.Tool) (Status, error) {
	sts, err := m.Inspect(ctx, []*recipe.Tool{t})
	if err != nil {
		return Status{}, err
	}
	return sts[0], nil
}

// Prepare makes every tool ready, opts.Jobs at a time. Each failure is
// reported as it happens; the error names the tools that failed.
func (m *Manager) Prepare(ctx context.Context, tools []*recipe.Tool, opts Options) error {
	tools = m.selectTools(tools, opts)
	mode := m.Mode
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
			if _, err := m.ensure(ctx, t, opts.Force, mode); err != nil {
				if len(tools) > 1 {
					m.Out.Printf("%s: failed: %v", t.Name, err)
				}
				mu.Lock()
				failed, errs = append(failed, t.Name), append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return summarize(failed, errs, len(tools))
}

func (m *Manager) selectTools(tools []*recipe.Tool, opts Options) []*recipe.Tool {
	var out []*recipe.Tool
	for _, t := range tools {
		if opts.Pull && t.Image == "" || opts.Build && t.Build == "" {
			continue
		}
		out = append(out, t)
	}
	return out
}

func summarize(failed []string, errs []error, total int) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	sort.Strings(failed)
	return fmt.Errorf("%d of %d tools failed (%s); each one's error is above", len(errs), total, strings.Join(failed, ", "))
}
