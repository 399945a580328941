package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/toolbox/internal/project"
	"github.com/tbx-dev/tbx/toolbox/internal/reach"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
	"github.com/tbx-dev/tbx/toolbox/internal/shims"
	"github.com/tbx-dev/tbx/toolbox/internal/trust"
)

func trustCommand(a *app) *ucli.Command {
	return &ucli.Command{
		Name:  "trust",
		Usage: "say what the recipe may reach on this host, then allow it to act",
		Flags: []ucli.Flag{&ucli.BoolFlag{Name: "show", Usage: "only say what it may reach, whether it is trusted and what changed since"}},
		Action: func(c *ucli.Context) error {
			return act(a, c, a.seams.trust, trustOptions{Show: c.Bool("show")}, func(s project.Settings, o trustOptions) error {
				return a.runTrust(c.Context, s, o.Show)
			})
		},
	}
}

func untrustCommand(a *app) *ucli.Command {
	return &ucli.Command{
		Name:  "untrust",
		Usage: "take back the trust of the recipe",
		Action: func(c *ucli.Context) error {
			return act(a, c, a.seams.untrust, untrustOptions{}, func(s project.Settings, _ untrustOptions) error {
				return a.runUntrust(c.Context, s)
			})
		},
	}
}

func (a *app) runTrust(ctx context.Context, s project.Settings, show bool) error {
	s.TrustOnce = false // --trust is for acting, not for what trust says
	if show {
		v, err := project.Inspect(s)
		if err != nil {
			return err
		}
		a.imageUsers(ctx, v)
		reach.Write(a.streams.Out, v.Recipe, v.Reach)
		writeNotes(a.streams.Out, v)
		fmt.Fprintln(a.streams.Out, statusLine(v.Verdict))
		for _, c := range v.Verdict.Changes {
			fmt.Fprintf(a.streams.Out, "  - %s\n", c)
		}
		for _, tool := range slices.Sorted(maps.Keys(v.Verdict.Files)) {
			fmt.Fprintf(a.streams.Out, "every file of tool %s's build that changed:\n", tool)
			for _, f := range v.Verdict.Files[tool] {
				fmt.Fprintf(a.streams.Out, "    %s\n", f)
			}
		}
		return nil
	}
	v, err := project.Trust(s)
	if err != nil {
		return err
	}
	a.imageUsers(ctx, v)
	reach.Write(a.streams.Out, v.Recipe, v.Reach)
	writeNotes(a.streams.Out, v)
	fmt.Fprintf(a.streams.Err, "tbx: trusted %s as it is now; `tbx untrust` takes it back\n", v.Recipe.Path)
	a.refreshShims(v.Commands())
	return nil
}

// imageUsers says in v's summary who the tools that run as their image's
// own user are, where the Engine has their images: only the local Engine
// is asked, and nothing is pulled or built.
func (a *app) imageUsers(ctx context.Context, v *project.View) {
	if !slices.ContainsFunc(v.Recipe.Tools, func(t *recipe.Tool) bool { return t.Run.User == "image" }) {
		return
	}
	e, err := a.engine()
	if err != nil {
		return
	}
	defer closeEngine(e)
	reach.WithImageUsers(v.Reach, v.ImageUsers(ctx, e))
}

// refreshShims adds, where the recipe's shims are installed (the default
// directory), the shims of commands the recipe has gained since: the
// shims follow the recipe the user has just trusted.
func (a *app) refreshShims(commands []string) {
	dir, err := shimDir("")
	if err != nil {
		return
	}
	missing := shims.Missing(dir, commands)
	if len(missing) == 0 {
		return
	}
	self, err := a.frontBinary()
	if err != nil {
		return
	}
	if _, err := shims.Install(dir, self, missing); err != nil {
		fmt.Fprintf(a.streams.Err, "tbx: warning: the shims of %s are missing in %s, and could not be added: %v; run `tbx shims install`\n", strings.Join(missing, ", "), dir, err)
		return
	}
	fmt.Fprintf(a.streams.Err, "tbx: added the shims of %s in %s, beside the recipe's others\n", strings.Join(missing, ", "), dir)
}

// statusLine says what a verdict means, in one line.
func statusLine(v trust.Verdict) string {
	switch v.Status {
	case trust.Trusted:
		return "trusted"
	case trust.Covered:
		return "trusted: it is under a directory of TBX_TRUST"
	case trust.Changed:
		return "not trusted: it changed since it was trusted (" + strings.Join(v.Changes, "; ") + "); `tbx trust` trusts it as it is now"
	case trust.Redirected:
		return "not trusted: " + strings.Join(v.Changes, "; ") + "; `tbx trust` trusts it as it is now"
	}
	return "not trusted: `tbx trust` trusts it"
}

func (a *app) runUntrust(ctx context.Context, s project.Settings) error {
	path, had, err := project.Untrust(s)
	if err != nil {
		return err
	}
	if had {
		fmt.Fprintf(a.streams.Err, "tbx: %s is no longer trusted\n", path)
	} else {
		fmt.Fprintf(a.streams.Err, "tbx: %s was not trusted\n", path)
	}
	a.retireWarm(ctx, s)
	return nil
}

// retireWarm has the project's warm containers and spares go, now or once
// their runs end, so that nothing of it stays up with its mounts; an
// Engine that does not answer leaves them to their idle end, and says so.
func (a *app) retireWarm(ctx context.Context, s project.Settings) {
	e, err := a.engine()
	if err == nil {
		defer closeEngine(e)
		var n int
		if n, err = project.RetireWarm(ctx, s, e); err == nil && n > 0 {
			fmt.Fprintf(a.streams.Err, "tbx: its %d warm containers and spares go once no run is in them\n", n)
		}
	}
	if err != nil {
		fmt.Fprintf(a.streams.Err, "tbx: its warm containers and spares stop at their idle end: %v\n", err)
	}
}

// writeNotes says what each tool's build files say (View.Notes) under the
// trust summary.
func writeNotes(w io.Writer, v *project.View) {
	for _, t := range v.Recipe.Tools {
		printNotes(w, t.Name, v.Notes(t.Name))
	}
}
