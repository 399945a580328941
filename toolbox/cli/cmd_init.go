package cli

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/images"
	"github.com/tbx-dev/tbx/recipes"
	"github.com/tbx-dev/tbx/toolbox/internal/exit"
	"github.com/tbx-dev/tbx/toolbox/internal/project"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

type initOptions struct {
	Recipe string
	Name   string
	Force  bool
}

func initCommand(a *app) *ucli.Command {
	return &ucli.Command{
		Name:  "init",
		Usage: "start a toolbox.toml here from an example recipe (" + strings.Join(recipes.Names(), ", ") + ")",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "recipe", Aliases: []string{"r"}, Value: "minimal", Usage: "the example to start from: " + strings.Join(recipes.Names(), ", ")},
			&ucli.StringFlag{Name: "name", Usage: "the project's name (default: this directory's)"},
			&ucli.BoolFlag{Name: "force", Usage: "overwrite an existing toolbox.toml (never anything else)"},
		},
		Action: func(c *ucli.Context) error {
			opts := initOptions{Recipe: c.String("recipe"), Name: c.String("name"), Force: c.Bool("force")}
			return act(a, c, a.seams.init, opts, a.runInit)
		},
	}
}

var nameLine = regexp.MustCompile(`(?m)^name = ".*"$`)

func (a *app) runInit(st project.Settings, opts initOptions) error {
	src, ok := recipes.Get(opts.Recipe)
	if !ok {
		return exit.Errorf(exit.Failed, "no example recipe %q; choose one of: %s", opts.Recipe, strings.Join(recipes.Names(), ", "))
	}
	wd := st.Cwd
	target := filepath.Join(wd, recipe.FileName)
	if err := checkTarget(target, opts.Force); err != nil {
		return err
	}
	name := opts.Name
	if name == "" {
		name = projectName(filepath.Base(wd))
	}
	src = nameLine.ReplaceAll(src, []byte(fmt.Sprintf("name = %q", name)))
	// Check the result before writing anything: init leaves no half-done state.
	contexts, err := contextsOf(src)
	if err != nil {
		return err
	}
	kept, err := writeContexts(wd, contexts)
	if err != nil {
		return err
	}
	if err := writeNew(target, src, opts.Force); err != nil {
		return err
	}
	fmt.Fprintf(a.streams.Out, "%s\n", target)
	if len(kept) > 0 {
		fmt.Fprintf(a.streams.Err, "tbx: wrote %s from the %q example; kept the existing %s, which tbx did not write, so it is not trusted: review it with `tbx trust --show`, then run `tbx trust`, `tbx prepare` and `tbx shims install`\n", recipe.FileName, opts.Recipe, strings.Join(kept, ", "))
		return nil
	}
	st.File = target
	if _, err := project.Trust(st); err != nil {
		return err
	}
	fmt.Fprintf(a.streams.Err, "tbx: wrote %s from the %q example, and trusted it; next: `tbx prepare` makes its tools ready, and `tbx shims install` puts their commands on your PATH%s\n", recipe.FileName, opts.Recipe, otherExamples(opts.Recipe))
	return nil
}

// otherExamples names the examples init did not start from, and how to
// start from one.
func otherExamples(used string) string {
	var others []string
	for _, n := range recipes.Names() {
		if n != used {
			others = append(others, n)
		}
	}
	if len(others) == 0 {
		return ""
	}
	return "; other examples: " + strings.Join(others, ", ") + " (`tbx init --force --recipe NAME`)"
}

// checkTarget refuses to write the recipe through a symlink, or over an
// existing one without --force.
func checkTarget(target string, force bool) error {
	fi, err := os.Lstat(target)
	switch {
	case err != nil:
		return nil
	case fi.Mode()&os.ModeSymlink != 0:
		return exit.Errorf(exit.Failed, "%s is a symbolic link; tbx init does not write through one: remove it first", target)
	case !fi.Mode().IsRegular():
		return exit.Errorf(exit.Failed, "%s exists and is not a regular file", target)
	case !force:
		return exit.Errorf(exit.Failed, "%s already exists; pass --force to overwrite it", target)
	}
	return nil
}

// contextsOf lists the build contexts a recipe names, relative to it.
func contextsOf(src []byte) ([]string, error) {
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

// writeContexts writes each image's files that the project lacks, and
// lists those it kept because they were there.
func writeContexts(dir string, contexts []string) (kept []string, err error) {
	for _, ctx := range contexts {
		files, _ := images.Context(filepath.Base(ctx))
		for _, rel := range slices.Sorted(maps.Keys(files)) {
			p := filepath.Join(dir, ctx, rel)
			if err := noLinkBelow(dir, filepath.Dir(p)); err != nil {
				return kept, err
			}
			if _, err := os.Lstat(p); err == nil {
				kept = append(kept, relTo(dir, p))
				continue
			}
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return kept, err
			}
			if err := writeNew(p, files[rel], false); err != nil {
				return kept, err
			}
		}
	}
	return kept, nil
}

// noLinkBelow refuses a path below dir that passes through a symbolic
// link: init writes inside the project, nowhere else.
func noLinkBelow(dir, path string) error {
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return err
	}
	cur := dir
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		if part == "." {
			continue
		}
		cur = filepath.Join(cur, part)
		if fi, err := os.Lstat(cur); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			return exit.Errorf(exit.Failed, "%s is a symbolic link; tbx init does not write through one", cur)
		}
	}
	return nil
}

// writeNew writes a file that must not exist yet, never following a
// symbolic link; with replace, it replaces a regular file that does.
func writeNew(path string, content []byte, replace bool) error {
	if replace {
		if err := checkTarget(path, true); err != nil {
			return err
		}
		tmp := path + ".tbx-new"
		_ = os.Remove(tmp)
		if err := writeNew(tmp, content, false); err != nil {
			return err
		}
		return os.Rename(tmp, path)
	}
	// O_EXCL with O_CREATE fails on anything there, a symlink included,
	// and never follows one.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := f.Write(content); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
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
