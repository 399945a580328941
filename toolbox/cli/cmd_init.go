package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/images"
	"github.com/tbx-dev/tbx/recipes"
	"github.com/tbx-dev/tbx/toolbox/exit"
	"github.com/tbx-dev/tbx/toolbox/recipe"
	"github.com/tbx-dev/tbx/toolbox/trust"
)

type initOptions struct {
	Recipe string
	Name   string
	Force  bool
}

func initCommand(s *Streams) *ucli.Command {
	return &ucli.Command{
		Name:  "init",
		Usage: "start a toolbox.toml here from an example recipe (" + strings.Join(recipes.Names(), ", ") + ")",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "recipe", Aliases: []string{"r"}, Value: "platform", Usage: "the example to start from: " + strings.Join(recipes.Names(), ", ")},
			&ucli.StringFlag{Name: "name", Usage: "the project's name (default: this directory's)"},
			&ucli.BoolFlag{Name: "force", Usage: "overwrite an existing toolbox.toml"},
		},
		Action: func(c *ucli.Context) error {
			return runInit(s, initOptions{Recipe: c.String("recipe"), Name: c.String("name"), Force: c.Bool("force")})
		},
	}
}

var nameLine = regexp.MustCompile(`(?m)^name = ".*"$`)

func runInit(s *Streams, opts initOptions) error {
	src, ok := recipes.Get(opts.Recipe)
	if !ok {
		return exit.Errorf(exit.Launcher, "no example recipe %q; choose one of: %s", opts.Recipe, strings.Join(recipes.Names(), ", "))
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	target := filepath.Join(wd, recipe.FileName)
	if _, err := os.Stat(target); err == nil && !opts.Force {
		return exit.Errorf(exit.Launcher, "%s already exists; pass --force to overwrite it", target)
	}
	name := opts.Name
	if name == "" {
		name = projectName(filepath.Base(wd))
	}
	src = nameLine.ReplaceAll(src, []byte(fmt.Sprintf("name = %q", name)))
	// Check the result before writing anything: init leaves no half-done state.
	contexts, err := contextsOf(wd, src)
	if err != nil {
		return err
	}
	if err := writeContexts(s, wd, contexts); err != nil {
		return err
	}
	if err := os.WriteFile(target, src, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", target, err)
	}
	fmt.Fprintf(s.Out, "%s\n", target)
	if err := trustWritten(target); err != nil {
		return err
	}
	fmt.Fprintf(s.Err, "tbx: wrote %s from the %q example, and trusted it; next: tbx prepare\n", recipe.FileName, opts.Recipe)
	return nil
}

// trustWritten trusts the recipe init just wrote: its user chose it.
func trustWritten(path string) error {
	r, err := recipe.Load(path)
	if err != nil {
		return err
	}
	store, err := trust.Open()
	if err != nil {
		return err
	}
	return store.Allow(r)
}

// contextsOf lists the build contexts a recipe names, relative to dir.
func contextsOf(dir string, src []byte) ([]string, error) {
	var out []string
	for _, line := range strings.Split(string(src), "\n") {
		if v, ok := strings.CutPrefix(line, "build = "); ok {
			out = append(out, strings.Trim(v, `"`))
		}
	}
	for _, ctx := range out {
		if _, ok := images.Context(filepath.Base(ctx)); !ok {
			return nil, fmt.Errorf("the example names build context %s, which tbx does not carry", ctx)
		}
	}
	return out, nil
}

// writeContexts writes each image's files unless the project has them.
func writeContexts(s *Streams, dir string, contexts []string) error {
	for _, ctx := range contexts {
		files, _ := images.Context(filepath.Base(ctx))
		for rel, content := range files {
			p := filepath.Join(dir, ctx, rel)
			if _, err := os.Stat(p); err == nil {
				fmt.Fprintf(s.Err, "tbx: keeping the existing %s\n", p)
				continue
			}
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(p, content, 0o644); err != nil {
				return fmt.Errorf("writing %s: %w", p, err)
			}
		}
	}
	return nil
}

// projectName turns a directory name into a valid project name.
func projectName(dir string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(dir) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	if n := strings.Trim(b.String(), "-"); n != "" {
		return n
	}
	return "toolbox"
}
