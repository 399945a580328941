// Command tbx runs a team's pinned DevOps tools in throwaway containers.
package main

import (
	"os"

	"github.com/tbx-dev/tbx/toolbox/cli"
)

func main() {
	os.Exit(cli.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
