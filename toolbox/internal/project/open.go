package project

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/tbx-dev/tbx/toolbox/internal/contenthash"
	"github.com/tbx-dev/tbx/toolbox/internal/engine"
	"github.com/tbx-dev/tbx/toolbox/internal/exit"
	"github.com/tbx-dev/tbx/toolbox/internal/lockfile"
	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/acquire"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
	"github.com/tbx-dev/tbx/toolbox/internal/trust"
)

// Project is a trusted project, ready to act on an Engine. The only way to
// get one is Open: its fields are its own, so that no other package can
// make one from a View that was not judged trusted.
type Project struct {
	*view
	engine  engine.Engine
	manager *acquire.Manager
}

// view is View as Project embeds it, unexported: its fields and methods
// are Project's, and no one outside builds a Project around one.
type view = View

// Open returns the project the settings name, to act on e, only when its
// user trusts it as it is now (the recipe, the lock, where every host path
// leads) and its lock pins nothing the recipe does not name. Otherwise it
// returns one line saying why, and e has been asked nothing. The host paths
// the recipe names are replaced by where they were found to lead.
func Open(s Settings, e engine.Engine) (*Project, error) {
	v, err := read(s)
	if err != nil {
		return nil, err
	}
	if !v.Verdict.Status.OK() {
		return nil, v.Refusal()
	}
	if v.Verdict.Status == trust.Covered {
		if err := v.escapes(); err != nil {
			return nil, err
		}
	}
	v.resolvePaths()
	p := &Project{view: v, engine: e}
	p.manager = acquire.New(p.managerConfig(s.Frozen))
	if err := p.manager.VerifyLock(); err != nil && !s.LockAsIs {
		return nil, exit.Errorf(exit.Failed, "%v", err)
	}
	return p, nil
}

// Close releases what the project holds open.
func (p *Project) Close() { p.manager.Close() }

func (p *Project) managerConfig(frozen bool) acquire.Config {
	s := p.settings
	return acquire.Config{
		Engine: p.engine, Recipe: p.Recipe, Stderr: s.Stderr, Mode: s.Progress, Fd: s.Fd, Debug: s.Debug,
		Registry: p.Registry, Lock: p.Lock, Frozen: frozen, Classic: s.Classic, SSHAgent: s.SSHAgent,
		CacheDir: s.CacheDir, BuildsDir: s.buildsDir(), LockDir: s.LockDir, Environ: s.Environ, SignKey: s.SignKey, Labels: p.Owned(), Content: p.content, DockerConfig: dockerConfigDir(s.DockerConfig),
	}
}

// content reads what t's build is given and, for a project trusted by its
// record, refuses it unless it is what was trusted.
func (p *Project) content(t *recipe.Tool) (contenthash.Content, error) {
	c := contenthash.ReadContent(acquire.Inputs(t, p.settings.CacheDir))
	if p.record == nil || p.Verdict.Status == trust.Covered {
		return c, nil
	}
	if was, ok := p.record.Contexts[t.Name]; !ok || was != c.Sum {
		now := trust.Snapshot{Recipe: p.record.Recipe, Contexts: map[string]string{t.Name: c.Sum}}
		p.store.LoadFiles(p.record, now)
		return c, exit.Errorf(exit.Failed, "refusing to build: the files in %s changed since you trusted the project%s; review them with `tbx trust --show`, then run `tbx trust`", t.Build, trust.FileChanges(p.record.Files[t.Name], c.Entries))
	}
	return c, nil
}

// resolvePaths replaces every host path of the recipe by where it leads, as
// checked: what acts is what was trusted.
func (v *View) resolvePaths() {
	real := func(p string) string {
		if r := v.Now.Paths[p]; r != "" {
			return r
		}
		return p
	}
	for _, t := range v.Recipe.Tools {
		for i, vol := range t.Run.Volumes {
			if src, rest, ok := strings.Cut(vol, ":"); ok && strings.HasPrefix(src, "/") {
				t.Run.Volumes[i] = real(src) + ":" + rest
			}
		}
		t.Run.CABundle = real(t.Run.CABundle)
		for i := range t.Run.Home {
			t.Run.Home[i].Src = real(t.Run.Home[i].Src)
		}
		for i := range t.Secrets {
			t.Secrets[i].Src = real(t.Secrets[i].Src)
		}
		for i := range t.SSHKeys {
			t.SSHKeys[i].Key = real(t.SSHKeys[i].Key)
		}
		for i := range t.Signers {
			t.Signers[i] = real(t.Signers[i])
		}
		if t.Build != "" {
			t.Build = real(t.Build)
		}
	}
}

// Tools returns the named tools, or all of them when names is empty.
func (v *View) Tools(names []string) ([]*recipe.Tool, error) {
	r := v.Recipe
	if len(names) == 0 {
		return r.Tools, nil
	}
	var out []*recipe.Tool
	for _, n := range names {
		t := r.Tool(n)
		if t == nil {
			if o := r.Command(n); o != nil {
				return nil, fmt.Errorf("%q is a command of tool %q, not a tool; tools: %s", n, o.Name, strings.Join(r.ToolNames(), ", "))
			}
			return nil, fmt.Errorf("no tool %q in %s; tools: %s", n, r.Path, strings.Join(r.ToolNames(), ", "))
		}
		out = append(out, t)
	}
	return out, nil
}

// WriteLock pins every tool and base and writes toolbox.lock. The user
// wrote it, so a project trusted by its record stays trusted with it.
func (p *Project) WriteLock(ctx context.Context, opts acquire.PinOptions) (string, error) {
	path := lockfile.Path(p.Recipe.Path)
	l, err := p.manager.Pin(ctx, opts)
	if l == nil {
		return "", err
	}
	if werr := lockfile.Write(path, l); werr != nil {
		return "", werr
	}
	if p.record != nil {
		v, rerr := read(p.settings)
		if rerr == nil && len(trust.Changes(*p.record, v.Now)) == 1 && v.Now.LockSum != p.record.LockSum {
			rec := *p.record
			rec.LockSum = v.Now.LockSum
			rerr = p.store.Allow(rec)
		}
		if rerr != nil {
			return path, rerr
		}
	}
	return path, err
}

// dockerConfigDir is the directory of the Docker client's configuration
// file, or "" for the client's default.
func dockerConfigDir(file string) string {
	if file == "" {
		return ""
	}
	return filepath.Dir(file)
}
