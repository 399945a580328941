//go:build !windows

package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/tbx-dev/tbx/toolbox/internal/engine"
)

// gateEngine is a fake Engine that records every call it gets and answers
// each as if the Engine were empty; calls it does not know fail.
type gateEngine struct {
	calls []string
}

var _ engine.Engine = (*gateEngine)(nil)

var errFake = errors.New("the fake Engine does not do that")

func (g *gateEngine) DaemonHost() string { return "unix:///fake.sock" }

func (g *gateEngine) ImageList(context.Context, image.ListOptions) ([]image.Summary, error) {
	g.calls = append(g.calls, "ImageList")
	return nil, nil
}

func (g *gateEngine) ContainerList(context.Context, container.ListOptions) ([]container.Summary, error) {
	g.calls = append(g.calls, "ContainerList")
	return nil, nil
}

func (g *gateEngine) ImageInspect(context.Context, string, ...client.ImageInspectOption) (image.InspectResponse, error) {
	g.calls = append(g.calls, "ImageInspect")
	return image.InspectResponse{}, errFake
}

// withFake runs tbx in-process in dir against the fake Engine.
func withFake(t *testing.T, g *gateEngine, dir string, args ...string) result {
	t.Helper()
	t.Chdir(dir)
	var out, errb bytes.Buffer
	a := &app{streams: &Streams{In: strings.NewReader(""), Out: &out, Err: &errb}, deps: deps{
		engine:     func(engine.Where) (engine.Engine, string, error) { return g, g.DaemonHost(), nil },
		executable: installed(t),
	}}
	code := report(run(append([]string{"tbx"}, args...), a), &errb)
	return result{out.String(), errb.String(), code}
}

// installed is where an installed tbx's core is, with its front beside:
// what shims link to.
func installed(t *testing.T) func() (string, error) {
	t.Helper()
	bin := t.TempDir()
	writeFiles(t, bin, map[string]string{"tbx": "front", "tbx-core": "core"})
	if err := os.Chmod(filepath.Join(bin, "tbx"), 0o755); err != nil {
		t.Fatal(err)
	}
	return func() (string, error) { return filepath.Join(bin, "tbx-core"), nil }
}

// Every command that acts passes the trust gate in project.Open before it
// can ask the Engine anything; once trusted, the same command reaches it.
func TestEveryActingCommandPassesTheTrustGate(t *testing.T) {
	t.Setenv("TBX_TRUST", "")
	t.Setenv("TBX_WARM", "")
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"toolbox.toml":   "[toolbox]\nname = \"gate\"\nregistry = \"127.0.0.1:1/team\"\n[tools.box]\nbuild = \"img\"\ncommands = [\"sh\"]\nvolumes = [\"cache:/c\"]\n[tools.jq]\nimage = \"127.0.0.1:5000/jq:1\"\n",
		"img/Dockerfile": "FROM debian:bookworm-slim\n",
	})
	acting := [][]string{
		{"run", "sh"}, {"run", "--tool", "box", "--", "true"}, {"shell", "box"}, {"prepare"}, {"build"}, {"pull"},
		{"push"}, {"lock"}, {"lock", "--check"}, {"gc", "--images"}, {"gc", "--volumes"}, {"shim", "sh"},
	}
	for _, args := range acting {
		g := &gateEngine{}
		r := withFake(t, g, dir, args...)
		if r.code != 125 || !strings.Contains(r.err, "is not trusted yet") || len(g.calls) != 0 {
			t.Errorf("untrusted tbx %v: exit %d, stderr %q, Engine calls %v", args, r.code, r.err, g.calls)
		}
	}
	g := &gateEngine{}
	if r := withFake(t, g, dir, "shims", "install", "--dir", t.TempDir()); r.code != 125 || len(g.calls) != 0 {
		t.Errorf("untrusted shims install: exit %d, %q", r.code, r.err)
	}
	if r := withFake(t, &gateEngine{}, dir, "trust"); r.code != 0 {
		t.Fatalf("trust: exit %d, %q", r.code, r.err)
	}
	for _, args := range acting {
		g := &gateEngine{}
		r := withFake(t, g, dir, args...)
		noLock := args[0] == "lock" && len(args) > 1 // no toolbox.lock: nothing to ask the Engine
		if strings.Contains(r.err, "trust") || len(g.calls) == 0 && !noLock {
			t.Errorf("trusted tbx %v did not reach the Engine: exit %d, stderr %q", args, r.code, r.err)
		}
	}
	shims := t.TempDir()
	if r := withFake(t, &gateEngine{}, dir, "shims", "install", "--dir", shims); r.code != 0 || !strings.Contains(r.out, filepath.Join(shims, "sh")) {
		t.Errorf("trusted shims install: exit %d, out %q, err %q", r.code, r.out, r.err)
	}
}

// The shims follow the recipe: a command the recipe gains gets its shim
// when the user trusts the change, where the recipe's shims are; none is
// written where the user installed none.
func TestTrustAddsTheShimsOfNewCommands(t *testing.T) {
	t.Setenv("TBX_TRUST", "")
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	home := t.TempDir()
	t.Setenv("HOME", home)
	dir := t.TempDir()
	recipe := "[toolbox]\nname = \"shimmed\"\n[tools.box]\nimage = \"debian:bookworm-slim\"\ncommands = [\"sh\"]\n"
	writeFiles(t, dir, map[string]string{"toolbox.toml": recipe})
	bin := filepath.Join(home, ".local", "bin")
	if r := withFake(t, &gateEngine{}, dir, "trust"); r.code != 0 || strings.Contains(r.err, "shims") {
		t.Fatalf("trust with no shims installed: exit %d, %q", r.code, r.err)
	}
	if _, err := os.Stat(bin); err == nil {
		t.Fatal("trust wrote shims where the user installed none")
	}
	if r := withFake(t, &gateEngine{}, dir, "shims", "install"); r.code != 0 {
		t.Fatalf("shims install: %d %q", r.code, r.err)
	}
	writeFiles(t, dir, map[string]string{"toolbox.toml": recipe + "[tools.jq]\nimage = \"debian:bookworm-slim\"\ncommands = [\"jq\"]\n"})
	r := withFake(t, &gateEngine{}, dir, "trust")
	if r.code != 0 || !strings.Contains(r.err, "added the shims of jq in "+bin) {
		t.Errorf("trust of a recipe with a new command: exit %d, %q", r.code, r.err)
	}
	if _, err := os.Stat(filepath.Join(bin, "jq")); err != nil {
		t.Errorf("no shim for the new command: %v", err)
	}
}

// versionedEngine is the gate's fake Engine that also says its version,
// as the docker client does.
type versionedEngine struct{ *gateEngine }

func (versionedEngine) ServerVersion(context.Context) (types.Version, error) {
	return types.Version{Version: "99.0", APIVersion: "1.99"}, nil
}

// doctor gets its Engine the way every command does (here a fake, which
// no real Engine stands behind), and says what it is.
func TestDoctorGetsItsEngineAsEveryCommand(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("DOCKER_HOST", "")
	t.Setenv("DOCKER_CONTEXT", "")
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"toolbox.toml": "[toolbox]\nname = \"doc\"\n"})
	t.Chdir(dir)
	g := &gateEngine{}
	var out, errb bytes.Buffer
	a := &app{streams: &Streams{In: strings.NewReader(""), Out: &out, Err: &errb}, deps: deps{engine: func(engine.Where) (engine.Engine, string, error) {
		return versionedEngine{g}, g.DaemonHost(), nil
	}}}
	report(run([]string{"tbx", "doctor"}, a), &errb)
	if !strings.Contains(out.String(), "ok    Engine 99.0 at unix:///fake.sock, context default (API 1.99") {
		t.Errorf("doctor with a fake Engine:\n%s%s", out.String(), errb.String())
	}
}
