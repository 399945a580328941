//go:build !linux

package front

import "github.com/tbx-dev/tbx/toolbox/internal/signals"

// tryRoute serves no call: the direct path is Linux's alone.
func tryRoute(string, []string, func() *signals.Router) (int, bool) { return 0, false }
