package project

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	dockerregistry "github.com/docker/docker/api/types/registry"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/tbx-dev/tbx/toolbox/internal/engine"
	"github.com/tbx-dev/tbx/toolbox/internal/exit"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// fakeEngine answers where it is and nothing else: any other call panics
// on the nil interface it embeds, so a test that passes made none.
type fakeEngine struct {
	engine.Engine
	host string
}

func (f *fakeEngine) DaemonHost() string { return f.host }

// newProject writes files (path → content) into a new directory and
// returns settings for a call from sub below it.
func newProject(t *testing.T, files map[string]string, sub string) Settings {
	t.Helper()
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, files)
	cwd := filepath.Join(dir, sub)
	if err := os.MkdirAll(cwd, 0o755); err != nil {
		t.Fatal(err)
	}
	return Settings{Cwd: cwd, StateDir: t.TempDir(), UID: os.Getuid(), GID: os.Getgid(), Stderr: os.Stderr}
}

const recipeText = "[toolbox]\nname = \"p\"\n[tools.box]\nimage = \"debian:bookworm-slim\"\ncommands = [\"box\"]\nwarm = \"5m\"\nenv = [\"AZ_*\"]\n"

// An untrusted project is refused in one line, exit 125, before the
// Engine is asked anything; TBX_TRUST's directories trust it.
func TestOpenRefusesUntrustedBeforeTheEngine(t *testing.T) {
	s := newProject(t, map[string]string{"toolbox.toml": recipeText}, "")
	_, err := Open(s, &fakeEngine{host: "unix:///var/run/docker.sock"})
	if exit.Code(err) != exit.Failed || !strings.Contains(err.Error(), "is not trusted yet") {
		t.Fatalf("an untrusted project: %v (exit %d)", err, exit.Code(err))
	}
	s.TrustDirs = []string{filepath.Dir(s.Cwd)}
	p, err := Open(s, &fakeEngine{host: "unix:///var/run/docker.sock"})
	if err != nil {
		t.Fatalf("a project under TBX_TRUST: %v", err)
	}
	p.Close()
}

func openTrusted(t *testing.T, s Settings, host string) *Project {
	t.Helper()
	s.TrustDirs = []string{os.TempDir()}
	p, err := Open(s, &fakeEngine{host: host})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// Warm or throwaway: TBX_WARM over the recipe's warm.
func TestWarmIdleTakesTBXWARMOverTheRecipe(t *testing.T) {
	s := newProject(t, map[string]string{"toolbox.toml": recipeText}, "")
	p := openTrusted(t, s, "unix:///var/run/docker.sock")
	tool := p.Recipe.Tools[0]
	if d, _ := warmIdle(p.settings, tool); d != 5*time.Minute {
		t.Errorf("the recipe's warm: %v", d)
	}
	off := time.Duration(0)
	p.settings.Warm = &off
	if d, _ := warmIdle(p.settings, tool); d != 0 {
		t.Errorf("TBX_WARM=off: %v", d)
	}
}

// Whether a warm run may take the helper's socket, and whether mounts are
// checked, follows from where the Engine is.
func TestTheDirectPathNeedsALocalEngine(t *testing.T) {
	s := newProject(t, map[string]string{"toolbox.toml": recipeText}, "")
	for _, tc := range []struct {
		host, noDirect string
		direct         bool
	}{
		{host: "unix:///var/run/docker.sock", direct: runtime.GOOS == "linux"},
		{host: "unix:///run/user/1000/podman/podman.sock", direct: runtime.GOOS == "linux"},
		{host: "tcp://10.0.0.1:2376", noDirect: "not on this host"},
		{host: "ssh://me@host", noDirect: "not on this host"},
		{host: "unix:///Users/me/.docker/desktop/docker.sock", noDirect: "Docker Desktop"},
	} {
		p := openTrusted(t, s, tc.host)
		dir, why := p.directPath()
		if (dir != "") != tc.direct || tc.noDirect != "" && runtime.GOOS == "linux" && !strings.Contains(why, tc.noDirect) {
			t.Errorf("%s: direct path %q, because %q", tc.host, dir, why)
		}
		if local := localEngine(tc.host) == ""; local != tc.direct {
			t.Errorf("%s: local %v", tc.host, local)
		}
	}
	p := openTrusted(t, s, "unix:///var/run/docker.sock")
	p.settings.NoDirect = true
	if dir, why := p.directPath(); dir != "" || why != "TBX_DIRECT=0" {
		t.Errorf("TBX_DIRECT=0: %q %q", dir, why)
	}
}

// docker = true mounts the Engine's unix socket: an Engine elsewhere is
// said to be the problem, in one line.
func TestDockerTrueNeedsAUnixSocket(t *testing.T) {
	if sock, err := engineSocket("unix:///run/docker.sock", "box"); err != nil || sock != "/run/docker.sock" {
		t.Errorf("a unix socket: %q %v", sock, err)
	}
	_, err := engineSocket("tcp://10.0.0.1:2376", "box")
	if exit.Code(err) != exit.Failed || !strings.Contains(err.Error(), "tool box has docker = true") {
		t.Errorf("a tcp Engine: %v", err)
	}
}

// A warm tool with no helper to mount is refused, saying why, before any
// container is made.
func TestAWarmToolWithoutAHelperIsRefused(t *testing.T) {
	s := newProject(t, map[string]string{"toolbox.toml": recipeText}, "")
	s.Helper = Helper{Why: "no static Linux tbx-warm next to tbx"}
	p := openTrusted(t, s, "unix:///var/run/docker.sock")
	_, err := p.warmHelper(p.Recipe.Tools[0])
	if exit.Code(err) != exit.Failed || !strings.Contains(err.Error(), "no static Linux tbx-warm") {
		t.Errorf("%v", err)
	}
}

// What a call depends on: the recipe, the lock and the trust record, the
// places a nearer recipe would appear, the root and the working
// directory and where they lead, and the rules' variables.
func TestInputsOfACall(t *testing.T) {
	s := newProject(t, map[string]string{"toolbox.toml": recipeText}, "a/b")
	p := openTrusted(t, s, "unix:///var/run/docker.sock")
	in, ok := p.inputs(p.Recipe.Tools[0])
	if !ok {
		t.Fatal("no inputs")
	}
	root := filepath.Dir(filepath.Dir(s.Cwd))
	for _, f := range []string{filepath.Join(root, "toolbox.toml"), filepath.Join(root, "toolbox.lock")} {
		if !slices.Contains(in.Files, f) {
			t.Errorf("inputs lack %s: %v", f, in.Files)
		}
	}
	if sorted := slices.Sorted(slices.Values(in.Files)); len(slices.Compact(sorted)) != len(in.Files) {
		t.Errorf("inputs name a file twice: %v", in.Files)
	}
	if want := []string{filepath.Join(s.Cwd, "toolbox.toml"), filepath.Join(root, "a", "toolbox.toml")}; !slices.Equal(in.Absent, want) {
		t.Errorf("places a nearer recipe would be: %v; want %v", in.Absent, want)
	}
	if _, ok := in.Links[s.Cwd]; !ok {
		t.Errorf("the working directory is not among the links: %v", in.Links)
	}
	if lead, ok := in.Links[root]; !ok || lead == "" {
		t.Errorf("the root is not among the links: %v", in.Links)
	}
	if !slices.Equal(in.Env, []string{"AZ_*"}) {
		t.Errorf("the rules' variables: %v", in.Env)
	}
}

// --frozen in a project with no lock is one line for the project, before
// the Engine is asked anything, not one per tool.
func TestFrozenWithoutALockIsOneLine(t *testing.T) {
	s := newProject(t, map[string]string{"toolbox.toml": recipeText + "[tools.two]\nimage = \"debian:bookworm-slim\"\ncommands = [\"two\"]\n"}, "")
	s.Frozen = true
	p := openTrusted(t, s, "unix:///var/run/docker.sock")
	err := p.Prepare(context.Background(), p.Recipe.Tools, AcquireOptions{Jobs: 2, Frozen: true})
	if err == nil || strings.Count(err.Error(), "toolbox.lock") != 1 || strings.Contains(err.Error(), "\n") {
		t.Errorf("%v", err)
	}
}

// The SSH agent warning is said once per shell, and never when TBX_QUIET
// names it.
func TestAWarningIsSaidOncePerShell(t *testing.T) {
	s := newProject(t, map[string]string{"toolbox.toml": recipeText}, "")
	p := openTrusted(t, s, "unix:///var/run/docker.sock")
	if !firstInShell(p.settings, "ssh-agent-box") || firstInShell(p.settings, "ssh-agent-box") {
		t.Error("not said exactly once")
	}
	if !firstInShell(p.settings, "ssh-agent-other") {
		t.Error("another tool's warning was taken as said")
	}
	p.settings.Quiet = []string{"ssh-agent"}
	if firstInShell(p.settings, "ssh-agent-third") {
		t.Error("TBX_QUIET=ssh-agent did not silence it")
	}
}

// pinEngine says the digest a registry has for an image, and nothing else.
type pinEngine struct{ fakeEngine }

func (pinEngine) DistributionInspect(context.Context, string, string) (dockerregistry.DistributionInspect, error) {
	return dockerregistry.DistributionInspect{Descriptor: ocispec.Descriptor{Digest: digest.Digest("sha256:" + strings.Repeat("ab", 32))}}, nil
}

// A lock the user writes (tbx lock) keeps the project trusted; a lock
// that arrives otherwise is a change like any other.
func TestTheUsersLockKeepsTrust(t *testing.T) {
	s := newProject(t, map[string]string{"toolbox.toml": recipeText}, "")
	if _, err := Trust(s); err != nil {
		t.Fatal(err)
	}
	p, err := Open(s, &pinEngine{fakeEngine{host: "unix:///var/run/docker.sock"}})
	if err != nil {
		t.Fatal(err)
	}
	path, err := p.WriteLock(context.Background(), PinOptions{})
	p.Close()
	if err != nil {
		t.Fatalf("writing the lock: %v", err)
	}
	if v, err := Inspect(s); err != nil || !v.Verdict.Status.OK() {
		t.Fatalf("after tbx lock: %v %+v", err, v.Verdict)
	}
	if err := os.WriteFile(path, []byte("version = 1\n# from a pull\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if v, err := Inspect(s); err != nil || v.Verdict.Status.OK() || !strings.Contains(strings.Join(v.Verdict.Changes, ";"), "toolbox.lock") {
		t.Errorf("after a lock from elsewhere: %v %+v", err, v.Verdict)
	}
}

// How long a tool's spare waits: TBX_SPARE over the recipe, the recipe
// over the default, and no spares on a CI agent unless asked for.
func TestSpareIdle(t *testing.T) {
	d := func(v time.Duration) *time.Duration { return &v }
	tool := &recipe.Tool{Name: "box"}
	withKey := &recipe.Tool{Name: "box", Run: recipe.Run{Spare: d(3 * time.Minute)}}
	cases := []struct {
		s    Settings
		t    *recipe.Tool
		want time.Duration
	}{
		{Settings{}, tool, DefaultSpare},
		{Settings{CI: true}, tool, 0},
		{Settings{CI: true}, withKey, 3 * time.Minute},
		{Settings{Spare: d(0)}, withKey, 0},
		{Settings{Spare: d(time.Minute), CI: true}, tool, time.Minute},
	}
	for i, c := range cases {
		if got := spareIdle(c.s, c.t); got != c.want {
			t.Errorf("case %d: %v, want %v", i, got, c.want)
		}
	}
}
