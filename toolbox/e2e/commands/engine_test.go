//go:build !windows

package commands

import (
	"strings"
	"testing"

	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// tbx finds the Engine as the docker CLI does: DOCKER_HOST, then
// --context or DOCKER_CONTEXT, then the current context, then the default.
func TestEngineFoundAsTheDockerCLIFindsIt(t *testing.T) {
	c := testenv.Engine(t)
	dir, _ := runProject(t, c, "")
	proxy, calls := testenv.CountingProxy(t, c.DaemonHost())
	testenv.DockerConfig(t)
	testenv.DockerContext(t, "tbxtest", proxy)
	t.Setenv("DOCKER_HOST", "")

	reached := func(what string, args ...string) result {
		t.Helper()
		calls.Reset()
		r := mustTbxIn(t, dir, args...)
		if len(calls.All()) == 0 {
			t.Errorf("%s: tbx %v did not reach the context's Engine", what, args)
		}
		return r
	}
	t.Setenv("DOCKER_CONTEXT", "tbxtest")
	if r := reached("DOCKER_CONTEXT", "run", "box-sh", "-c", "echo via context"); r.out != "via context\n" {
		t.Errorf("through DOCKER_CONTEXT: %q", r.out)
	}
	t.Setenv("DOCKER_CONTEXT", "")
	testenv.UseDockerContext(t, "tbxtest")
	reached("docker context use", "run", "box-sh", "-c", "true")
	if r := reached("doctor", "doctor"); !strings.Contains(r.out, "context tbxtest") {
		t.Errorf("doctor does not name the context:\n%s", r.out)
	}
	calls.Reset()
	mustTbxIn(t, dir, "--context", "default", "ls")
	t.Setenv("DOCKER_HOST", c.DaemonHost())
	mustTbxIn(t, dir, "ls")
	if got := calls.All(); len(got) != 0 {
		t.Errorf("--context default and DOCKER_HOST should win over the current context; the context's Engine got %v", got)
	}
	t.Setenv("DOCKER_HOST", "")
	r := tbxIn(t, dir, "--context", "nosuch", "ls")
	if r.code != 125 || strings.Count(r.err, "\n") != 1 || !strings.Contains(r.err, `docker context "nosuch"`) {
		t.Errorf("an unknown context: exit %d, %q", r.code, r.err)
	}
}

// DOCKER_HOST=ssh://user@host reaches the Engine through ssh, as the docker
// CLI's connection helper does, with the command's exit code and streams.
func TestEngineOverSSH(t *testing.T) {
	c := testenv.Engine(t)
	dir, _ := runProject(t, c, "")
	t.Setenv("DOCKER_HOST", testenv.SSHD(t))
	r := tbxIn(t, dir, "run", "box-sh", "-c", "echo over ssh; echo err >&2; exit 3")
	if r.code != 3 || r.out != "over ssh\n" || r.err != "err\n" {
		t.Errorf("run over ssh: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
	if r := mustTbxIn(t, dir, "doctor"); !strings.Contains(r.out, "context default") {
		t.Errorf("doctor over ssh:\n%s", r.out)
	}
}
