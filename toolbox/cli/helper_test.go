//go:build !windows

package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// Only a static Linux executable is offered as the warm helper (every
// warm run of the end-to-end tests is one with the tbx-warm they build).
func TestStaticLinuxHelper(t *testing.T) {
	if why := staticLinux("/bin/sh"); !strings.Contains(why, "dynamically linked") {
		t.Errorf("a dynamically linked /bin/sh: %q", why)
	}
	script := filepath.Join(t.TempDir(), "tbx-warm")
	writeFiles(t, filepath.Dir(script), map[string]string{"tbx-warm": "#!/bin/sh\n"})
	if why := staticLinux(script); why != "is not a Linux executable" {
		t.Errorf("a script: %q", why)
	}
}
