//go:build !windows

package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// Only a static Linux executable is offered as the warm helper.
func TestStaticLinuxHelper(t *testing.T) {
	needBinaries(t)
	if why := staticLinux(filepath.Join(filepath.Dir(tbxBin), "tbx-warm")); why != "" {
		t.Errorf("the CGO_ENABLED=0 tbx-warm is refused: %s", why)
	}
	if why := staticLinux("/bin/sh"); !strings.Contains(why, "dynamically linked") {
		t.Errorf("a dynamically linked /bin/sh: %q", why)
	}
	script := filepath.Join(t.TempDir(), "tbx-warm")
	writeFiles(t, filepath.Dir(script), map[string]string{"tbx-warm": "#!/bin/sh\n"})
	if why := staticLinux(script); why != "is not a Linux executable" {
		t.Errorf("a script: %q", why)
	}
}
