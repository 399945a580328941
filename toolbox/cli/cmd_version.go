package cli

import (
	"fmt"
	"runtime"

	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/toolbox/internal/build"
)

func versionCommand(a *app) *ucli.Command {
	s := a.streams
	return &ucli.Command{
		Name:  "version",
		Usage: "print tbx's version",
		Action: func(*ucli.Context) error {
			fmt.Fprintf(s.Out, "tbx %s (%s, %s/%s)\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

// version is tbx's version, as people read it.
func version() string { return build.Name() }
