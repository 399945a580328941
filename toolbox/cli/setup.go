package cli

import (
	"fmt"
	"os"
	"path/filepath"

	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/toolbox/acquire"
	"github.com/tbx-dev/tbx/toolbox/engine"
	"github.com/tbx-dev/tbx/toolbox/lockfile"
	"github.com/tbx-dev/tbx/toolbox/recipe"
)

// recipePath is the recipe named by --file, or the nearest one upwards.
func recipePath(c *ucli.Context) (string, error) {
	if path := c.String("file"); path != "" {
		return filepath.Abs(path)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the working directory: %w", err)
	}
	return recipe.Find(wd)
}

// loadRecipe reads the recipe named by --file, or the nearest one upwards.
func loadRecipe(c *ucli.Context) (*recipe.Recipe, error) {
	path, err := recipePath(c)
	if err != nil {
		return nil, err
	}
	return recipe.Load(path)
}

// project is what most commands need: the recipe, the Engine and a manager.
type project struct {
	recipe  *recipe.Recipe
	engine  engine.Engine
	manager *acquire.Manager
	close   func()
}

// openProject opens a trusted recipe's project, for the commands that act.
func openProject(c *ucli.Context, s *Streams) (*project, error) {
	r, err := loadTrusted(c)
	if err != nil {
		return nil, err
	}
	return openRecipe(c, s, r)
}

// openRecipe is openProject for a recipe the caller has already read.
func openRecipe(c *ucli.Context, s *Streams, r *recipe.Recipe) (*project, error) {
	e, err := engine.Connect(c.Context)
	if err != nil {
		return nil, err
	}
	d, _ := fd(s.Err)
	m := acquire.New(e, r, s.Err, s.progressMode(c.String("progress")), d)
	if c.Bool("debug") {
		m.Debug = s.Err
	}
	if err := teamSetup(m, r); err != nil {
		e.Close()
		return nil, err
	}
	return &project{recipe: r, engine: e, manager: m, close: func() { m.Close(); e.Close() }}, nil
}

// teamSetup gives the manager the team registry (TBX_REGISTRY over the
// recipe's) and the lock next to the recipe.
func teamSetup(m *acquire.Manager, r *recipe.Recipe) error {
	var err error
	if m.Registry, err = teamRegistry(r); err != nil {
		return err
	}
	l, err := lockfile.Read(lockfile.Path(r.Path))
	m.Lock = l
	return err
}

// teamRegistry is the registry in effect: TBX_REGISTRY over the recipe's.
func teamRegistry(r *recipe.Recipe) (string, error) {
	v := os.Getenv("TBX_REGISTRY")
	if v == "" {
		return r.Registry, nil
	}
	if err := recipe.CheckRegistry(v); err != nil {
		return "", fmt.Errorf("TBX_REGISTRY: %v", err)
	}
	return v, nil
}

// frozen reports whether --frozen or TBX_FROZEN=1 asks for exactly the lock.
func frozen(flag bool) bool {
	return flag || os.Getenv("TBX_FROZEN") == "1" || os.Getenv("TBX_FROZEN") == "true"
}

// pickTools returns the named tools, or all of them when names is empty.
func pickTools(r *recipe.Recipe, names []string) ([]*recipe.Tool, error) {
	if len(names) == 0 {
		return r.Tools, nil
	}
	var out []*recipe.Tool
	for _, n := range names {
		t := r.Tool(n)
		if t == nil {
			if o := r.Command(n); o != nil {
				return nil, fmt.Errorf("%q is a command of tool %q, not a tool; tools: %v", n, o.Name, r.ToolNames())
			}
			return nil, fmt.Errorf("no tool %q in %s; tools: %v", n, r.Path, r.ToolNames())
		}
		out = append(out, t)
	}
	return out, nil
}
