package runner

import (
	"os"
	"strings"
	"testing"
)

func TestContainerPathOnEverySystem(t *testing.T) {
	for _, c := range []struct{ goos, host, want string }{
		{"linux", "/home/me/my proj", "/home/me/my proj"},
		{"darwin", "/Users/me/src/infra", "/Users/me/src/infra"},
		{"windows", `C:\Users\me\proj`, "/c/Users/me/proj"},
		{"windows", `D:\work\infra\sub\`, "/d/work/infra/sub"},
		{"windows", `c:\x`, "/c/x"},
		{"windows", `\\fileserver\team\infra`, "//fileserver/team/infra"},
	} {
		if got := ContainerPath(c.goos, c.host); got != c.want {
			t.Errorf("ContainerPath(%s, %q) = %q, want %q", c.goos, c.host, got, c.want)
		}
	}
}

func TestAgentSourceOnEverySystem(t *testing.T) {
	live := t.TempDir() + "/agent.sock"
	if err := os.WriteFile(live, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		goos, sock, want, err string
	}{
		{"linux", live, live, ""},
		{"linux", "/nowhere/agent.sock", "", "does not exist"},
		// The Mac's launchd socket cannot be mounted: Docker Desktop serves it.
		{"darwin", "/private/tmp/com.apple.launchd.x/Listeners", DesktopAgent, ""},
		{"windows", `\\.\pipe\openssh-ssh-agent`, "", "run tbx in WSL"},
	} {
		got, err := AgentSource(c.goos, c.sock)
		if got != c.want || (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("AgentSource(%s, %q) = %q, %v; want %q, error with %q", c.goos, c.sock, got, err, c.want, c.err)
		}
	}
}
