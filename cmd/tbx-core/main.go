// Command tbx-core is tbx's core: every command, the whole way. tbx, the
// front next to it, hands it every call that no route serves; run alone,
// it is a complete tbx.
package main

import (
	"os"

	"github.com/tbx-dev/tbx/toolbox/cli"
)

func main() {
	os.Exit(cli.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
