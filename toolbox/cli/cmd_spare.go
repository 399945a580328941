package cli

import (
	"strconv"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/toolbox/front"
	"github.com/tbx-dev/tbx/toolbox/internal/exit"
	"github.com/tbx-dev/tbx/toolbox/internal/project"
)

// spareCommand makes the spare for the next run of a command, in the
// background: tbx runs it, detached, once a throwaway run is over. It
// opens the project as every command does, so an untrusted project gets
// none.
func spareCommand(a *app) *ucli.Command {
	return &ucli.Command{
		Name:      front.SpareCommand,
		Hidden:    true,
		ArgsUsage: "TOOL COMMAND TTY SINCE",
		Action: func(c *ucli.Context) error {
			tty, err := strconv.ParseBool(c.Args().Get(2))
			since, serr := strconv.ParseInt(c.Args().Get(3), 10, 64)
			if c.NArg() != 4 || err != nil || serr != nil {
				return exit.Errorf(exit.Failed, "tbx %s takes TOOL COMMAND TTY SINCE", front.SpareCommand)
			}
			opts := spareOptions{Tool: c.Args().Get(0), Command: c.Args().Get(1), TTY: tty, Since: time.Unix(0, since)}
			return act(a, c, a.seams.spare, opts, func(s project.Settings, o spareOptions) error {
				s.MakeSpare = nil // this is the maker
				p, err := a.openWith(s)
				if err != nil {
					return err
				}
				defer p.Close()
				return p.MakeSpare(c.Context, o.Tool, o.Command, o.TTY, o.Since)
			})
		},
	}
}
