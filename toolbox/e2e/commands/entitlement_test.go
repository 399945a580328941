//go:build !windows

package commands

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// A build's RUN --network=host runs only where the recipe grants the tool
// the entitlement network.host, which trust shows; without it the build is
// refused before BuildKit's own words, naming the line and the key.
func TestHostNetworkForABuildIsGrantedByTheRecipe(t *testing.T) {
	c := testenv.Engine(t)
	testenv.Debian(t, c)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	project := testenv.Project(t, c)
	dir := t.TempDir()
	recipe := "[toolbox]\nname = \"" + project + "\"\n[tools.hn]\nbuild = \"img\"\ncommands = [\"hn-cat\"]\n"
	writeFiles(t, dir, map[string]string{
		"toolbox.toml":   recipe,
		"img/Dockerfile": "FROM " + testenv.DebianBase + "\nRUN ln -s /bin/cat /usr/local/bin/hn-cat\nRUN --network=host echo on-the-host > /n\n",
	})
	r := tbxIn(t, dir, "build", "hn")
	want := "tool hn: " + filepath.Join(dir, "img", "Dockerfile") + ":3: RUN --network=host shares this host's network with the build, which the recipe does not allow: add entitlements = [\"network.host\"] to [tools.hn]"
	if r.code != 125 || !strings.Contains(r.err, want) || strings.Contains(r.err, "network.host is not allowed") {
		t.Errorf("a build with RUN --network=host and no entitlement: want exit 125 and %q:\n%+v", want, r)
	}
	writeFiles(t, dir, map[string]string{"toolbox.toml": recipe + "entitlements = [\"network.host\"]\n"})
	if r := mustTbxIn(t, dir, "trust", "--show"); !strings.Contains(r.out, "build network this host's network and its services, for the build's RUN --network=host steps") {
		t.Errorf("trust --show does not name the entitlement:\n%s", r.out)
	}
	mustTbxIn(t, dir, "build", "hn")
	if r := mustTbxIn(t, dir, "run", "hn-cat", "/n"); r.out != "on-the-host\n" {
		t.Errorf("the granted build's step: %q", r.out)
	}
}
