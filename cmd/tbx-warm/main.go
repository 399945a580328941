// Command tbx-warm is the helper of tbx's warm containers, on its own: tbx
// mounts it into a warm container when it lies next to the tbx binary, and
// runs itself in helper mode otherwise. Built alone it starts in about a
// millisecond instead of tbx's tens, which every warm run pays once.
package main

import (
	"fmt"
	"os"

	"github.com/tbx-dev/tbx/toolbox/helper"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != helper.Command {
		fmt.Fprintln(os.Stderr, "tbx-warm is the helper of tbx's warm containers; tbx runs it")
		os.Exit(125)
	}
	os.Exit(helper.Main(os.Args[2:]))
}
