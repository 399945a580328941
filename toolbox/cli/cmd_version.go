package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	ucli "github.com/urfave/cli/v2"
)

func (a *app) versionCommand() *ucli.Command {
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

// version is the link-time version, else the module's, else "dev".
func version() string {
	if Version != "dev" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return Version
}
