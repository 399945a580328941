// Command tbx runs a team's pinned DevOps tools in throwaway containers. It
// is the front: a warm command it has a fresh route for starts at once
// through its helper's socket; every other call goes to tbx-core, next to
// it, which does the whole work.
package main

import (
	"os"

	"github.com/tbx-dev/tbx/toolbox/front"
)

func main() {
	os.Exit(front.Main(os.Args))
}
