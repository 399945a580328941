//go:build !linux && !windows

package commands

import "testing"

// mountedIsWhatWasChecked needs Linux: elsewhere the Engine's paths are a
// VM's, which tbx does not check.
func mountedIsWhatWasChecked(t *testing.T) { t.Skip("the mount check is Linux's") }
