package cli

import (
	"fmt"

	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/toolbox/exit"
	"github.com/tbx-dev/tbx/toolbox/reach"
	"github.com/tbx-dev/tbx/toolbox/recipe"
	"github.com/tbx-dev/tbx/toolbox/trust"
)

func trustCommand(s *Streams) *ucli.Command {
	return &ucli.Command{
		Name:  "trust",
		Usage: "say what the recipe may reach on this host, then allow it to act",
		Flags: []ucli.Flag{&ucli.BoolFlag{Name: "show", Usage: "only say what it may reach and whether it is trusted"}},
		Action: func(c *ucli.Context) error {
			return runTrust(c, s, c.Bool("show"))
		},
	}
}

func untrustCommand(s *Streams) *ucli.Command {
	return &ucli.Command{
		Name:  "untrust",
		Usage: "take back the trust of the recipe",
		Action: func(c *ucli.Context) error {
			return runUntrust(c, s)
		},
	}
}

func runTrust(c *ucli.Context, s *Streams, show bool) error {
	r, err := loadRecipe(c)
	if err != nil {
		return err
	}
	store, err := trust.Open()
	if err != nil {
		return err
	}
	registry, err := teamRegistry(r)
	if err != nil {
		return err
	}
	reach.Write(s.Out, r, reach.Of(r, registry))
	if show {
		st, err := store.Status(r)
		if err != nil {
			return err
		}
		fmt.Fprintln(s.Out, statusLine(st))
		return nil
	}
	if err := store.Allow(r); err != nil {
		return err
	}
	fmt.Fprintf(s.Err, "tbx: trusted %s as it is now; `tbx untrust` takes it back\n", r.Path)
	return nil
}

func statusLine(st trust.Status) string {
	switch st {
	case trust.Trusted:
		return "trusted"
	case trust.Covered:
		return "trusted: it is under a directory of TBX_TRUST"
	case trust.Changed:
		return "not trusted: it changed since it was trusted; `tbx trust` trusts it as it is now"
	}
	return "not trusted: `tbx trust` trusts it"
}

func runUntrust(c *ucli.Context, s *Streams) error {
	path, err := recipePath(c)
	if err != nil {
		return err
	}
	store, err := trust.Open()
	if err != nil {
		return err
	}
	had, err := store.Revoke(path)
	if err != nil {
		return err
	}
	if had {
		fmt.Fprintf(s.Err, "tbx: %s is no longer trusted\n", path)
	} else {
		fmt.Fprintf(s.Err, "tbx: %s was not trusted\n", path)
	}
	return nil
}

// trustStatus is the trust of r for this command: --trust trusts it for
// this one.
func trustStatus(c *ucli.Context, r *recipe.Recipe) (trust.Status, error) {
	if c.Bool("trust") {
		return trust.Trusted, nil
	}
	store, err := trust.Open()
	if err != nil {
		return trust.Untrusted, err
	}
	return store.Status(r)
}

// requireTrust refuses, before anything touches the Engine, a recipe its
// user has not trusted as it is now.
func requireTrust(c *ucli.Context, r *recipe.Recipe) error {
	st, err := trustStatus(c, r)
	if err != nil || st.OK() {
		return err
	}
	cmd := "tbx trust"
	if f := c.String("file"); f != "" {
		cmd = "tbx --file " + f + " trust"
	}
	if st == trust.Changed {
		return exit.Errorf(exit.Launcher, "%s changed since you trusted it; review it with `%s --show`, then run `%s`", r.Path, cmd, cmd)
	}
	return exit.Errorf(exit.Launcher, "%s is not trusted yet: it may act on this host; review it with `%s --show`, then run `%s`", r.Path, cmd, cmd)
}

// loadTrusted is loadRecipe for the commands that act: it refuses an
// untrusted recipe.
func loadTrusted(c *ucli.Context) (*recipe.Recipe, error) {
	r, err := loadRecipe(c)
	if err != nil {
		return nil, err
	}
	return r, requireTrust(c, r)
}

// untrustedNote is the mark that ls and doctor, which only read, put on an
// untrusted recipe: "" when it is trusted.
func untrustedNote(c *ucli.Context, r *recipe.Recipe) string {
	st, err := trustStatus(c, r)
	switch {
	case err != nil:
		return err.Error()
	case st.OK():
		return ""
	}
	return fmt.Sprintf("%s is %s", r.Path, statusLine(st))
}
