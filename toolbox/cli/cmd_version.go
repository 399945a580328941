package cli

import (
	"fmt"
	"io"
	"runtime"

	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/toolbox/internal/version"
)

func versionCommand(a *app) *ucli.Command {
	s := a.streams
	return &ucli.Command{
		Name:  "version",
		Usage: "print tbx's version",
		Action: func(*ucli.Context) error {
			printVersion(s.Out)
			return nil
		},
	}
}

// printVersion says tbx's version, for `tbx version` and `tbx --version`
// alike.
func printVersion(w io.Writer) {
	fmt.Fprintf(w, "tbx %s (%s, %s/%s)\n", versionName(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func init() {
	ucli.VersionPrinter = func(c *ucli.Context) { printVersion(c.App.Writer) }
}

// version is tbx's version, as people read it.
func versionName() string { return version.Name() }
