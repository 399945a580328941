//go:build !windows

package commands

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// An ADD of a URL without --checksum is outside the tool's identity: trust
// and ls say so, naming the line and the source; a change of what the URL
// serves makes no new image, and `tbx build --force` fetches it again.
func TestAnUnpinnedRemoteSourceIsSaid(t *testing.T) {
	c := testenv.Engine(t)
	testenv.Debian(t, c)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	var served atomic.Value
	served.Store("one\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(served.Load().(string)))
	}))
	defer srv.Close()
	project := testenv.Project(t, c)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"toolbox.toml":   "[toolbox]\nname = \"" + project + "\"\n[tools.box]\nbuild = \"img\"\ncommands = [\"box-sh\"]\n",
		"img/Dockerfile": "FROM " + testenv.DebianBase + "\nRUN ln -s /bin/sh /usr/local/bin/box-sh\nADD " + srv.URL + "/tool.txt /tool.txt\n",
	})
	said := "tool box: its Dockerfile fetches at build time, with nothing to pin it (line 3: ADD " + srv.URL + "/tool.txt): what it serves is outside the tool's identity"
	for _, cmd := range [][]string{{"trust", "--show"}, {"ls"}} {
		if r := mustTbxIn(t, dir, cmd...); !strings.Contains(r.out, said) || !strings.Contains(r.out, "tbx build --force box") {
			t.Errorf("tbx %s does not say the remote source is outside the identity:\n%s", strings.Join(cmd, " "), r.out)
		}
	}
	cat := func() string { return mustTbxIn(t, dir, "run", "box-sh", "-c", "cat /tool.txt").out }
	mustTbxIn(t, dir, "build", "box")
	if got := cat(); got != "one\n" {
		t.Fatalf("the first build took %q", got)
	}
	served.Store("two\n")
	mustTbxIn(t, dir, "build", "box")
	if got := cat(); got != "one\n" {
		t.Errorf("a build without --force took %q: the source is outside the identity, the image is as it was", got)
	}
	mustTbxIn(t, dir, "build", "--force", "box")
	if got := cat(); got != "two\n" {
		t.Errorf("build --force took %q, want what the URL serves now", got)
	}
}
