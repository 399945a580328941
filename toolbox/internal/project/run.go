package project

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/tbx-dev/tbx/toolbox/internal/engine"
	"github.com/tbx-dev/tbx/toolbox/internal/exit"
	"github.com/tbx-dev/tbx/toolbox/internal/hostargs"
	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/reuse"
	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/runner"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
	"github.com/tbx-dev/tbx/toolbox/internal/safefile"
)

// RunRequest is one command to run.
type RunRequest struct {
	Tool       string   // run in this tool's image; "" finds the tool by Args[0]
	Args       []string // the command and its arguments
	Entrypoint []string // overrides the recipe's entrypoint (tbx shell)
}

// Run makes the tool's image ready and runs the command in it, in a warm
// container or a throwaway one, and returns its exit status.
func (p *Project) Run(ctx context.Context, req RunRequest, streams runner.Streams) error {
	tool, err := p.toolFor(req)
	if err != nil {
		return err
	}
	st, err := p.manager.Ensure(ctx, tool, false)
	if err != nil {
		return err
	}
	inv, err := p.invocation(ctx, tool, st.Ref, req, runner.UseTTY(streams.In, streams.Out))
	if err != nil {
		return err
	}
	idle, err := warmIdle(p.settings, tool)
	if err != nil {
		return err
	}
	if recipe.Flag(tool.Run.SSHAgent, false) && p.settings.SSHAgent == "" && firstInShell(p.settings, "ssh-agent-"+tool.Name) {
		fmt.Fprintf(p.settings.Stderr, "tbx: warning: tool %s forwards the SSH agent, but SSH_AUTH_SOCK is not set: ssh in it will find no keys (eval $(ssh-agent); ssh-add); said once per shell, TBX_QUIET=ssh-agent silences it\n", tool.Name)
	}
	rn := &runner.Runner{Engine: p.engine, Streams: streams, Debug: p.settings.Debug, Signals: p.settings.Signals}
	if inv.Local || runner.StarterNeeded(p.engine.ClientVersion()) {
		rn.Starter = p.settings.Helper.Path // negotiated by now: Ensure asked the Engine
	}
	// Signals now belong to the command: they are forwarded, not obeyed.
	ctx = context.WithoutCancel(ctx)
	if hostargs.ByArgs(inv.HostPaths) {
		// Mounts of this run's own: a container made before has none of
		// them. (What path variables name is in a warm container's shape.)
		rn.Debugf("this call's arguments name host paths, mounted for it alone: it runs in a container of its own, not a warm one or a spare")
		return diagnose(p.engine.DaemonHost(), tool, inv, rn.Run(ctx, inv))
	}
	if idle > 0 {
		helper, err := p.warmHelper(tool)
		if err != nil {
			return err
		}
		warm := &reuse.Runner{Runner: rn, Engine: p.engine, OnDirect: p.rememberer(tool, st.Ref, req, inv.TTY, false)}
		return diagnose(p.engine.DaemonHost(), tool, inv, warm.RunWarm(ctx, inv, idle, helper))
	}
	spare, ok := p.spareFor(tool, req, inv)
	err = reuse.ErrNoSpare
	if ok {
		warm := &reuse.Runner{Runner: rn, Engine: p.engine}
		err = warm.RunSpare(ctx, inv, spare)
	}
	if errors.Is(err, reuse.ErrNoSpare) {
		err = rn.Run(ctx, inv)
	}
	if ok {
		p.settings.MakeSpare(tool.Name, req.Args[0], inv.TTY) // off the caller's path: the run is over
	}
	return diagnose(p.engine.DaemonHost(), tool, inv, err)
}

// diagnose names the cause of a run that failed before its command ran,
// where tbx can tell it: a rootless Podman of the caller's gives a
// container its network through /dev/net/tun, which the caller must be
// able to open (the Engine itself says only "received 409").
func diagnose(engineHost string, tool *recipe.Tool, inv runner.Invocation, err error) error {
	var status exit.Status
	if err == nil || errors.As(err, &status) || !inv.KeepID || !needsNetwork(tool.Run.Network) {
		return err
	}
	if why := engine.RootlessNetwork(); why != nil {
		return exit.Errorf(exit.Failed, "tool %s: the rootless Podman at %s cannot give its container a network, because %v (its network helper opens it as you): make it yours (sudo chmod 0666 /dev/net/tun, the usual mode), or set network = \"none\" for the tool in the recipe", tool.Name, engineHost, why)
	}
	return err
}

// needsNetwork is false for the networks a container gets without one of
// its own: none, the host's, another container's.
func needsNetwork(network string) bool {
	return network != "none" && network != "host" && !strings.HasPrefix(network, "container:")
}

// warmHelper is the helper binary that a warm tool's container runs, or
// why it has none; under --debug it says which, and what the call
// depends on.
func (p *Project) warmHelper(tool *recipe.Tool) (string, error) {
	h := p.settings.Helper
	if p.settings.Debug != nil {
		fmt.Fprintf(p.settings.Debug, "tbx: debug: warm helper %s (%s)\n", orNone(h.Path), h.Why)
		if in, ok := p.inputs(tool); ok {
			in.describe(p.settings.Debug)
		}
	}
	if h.Path == "" {
		return "", exit.Errorf(exit.Failed, "tool %s is warm, but there is no helper for its container: %s", tool.Name, h.Why)
	}
	return h.Path, nil
}

// firstInShell reports whether this is the first time the warning what is
// due in the shell that started tbx (its parent), and remembers that it
// was said; a warning the settings silence is never due.
func firstInShell(s Settings, what string) bool {
	for _, q := range s.Quiet {
		if strings.HasPrefix(what, q) {
			return false
		}
	}
	dir := filepath.Join(s.StateDir, "said")
	mark := filepath.Join(dir, fmt.Sprintf("%s-%d", what, s.Shell))
	if fi, err := os.Stat(mark); err == nil && time.Since(fi.ModTime()) < 24*time.Hour {
		return false
	}
	if os.MkdirAll(dir, 0o700) == nil {
		_ = os.WriteFile(mark, nil, 0o600)
	}
	return true
}

func (p *Project) toolFor(req RunRequest) (*recipe.Tool, error) {
	if req.Tool != "" {
		tools, err := p.Tools([]string{req.Tool})
		if err != nil {
			return nil, err
		}
		return tools[0], nil
	}
	if t := p.Recipe.Command(req.Args[0]); t != nil {
		return t, nil
	}
	return nil, exit.Errorf(exit.NotFound, "%s: no such command in %s; commands: %s", req.Args[0], p.Recipe.Path, strings.Join(p.Commands(), ", "))
}

// Commands lists every command of the recipe.
func (v *View) Commands() []string {
	var out []string
	for _, t := range v.Recipe.Tools {
		out = append(out, t.Commands...)
	}
	return out
}

// warmIdle is how long the tool's warm container waits for the next run:
// TBX_WARM over the recipe's warm; 0 runs a throwaway container.
func warmIdle(s Settings, t *recipe.Tool) (time.Duration, error) {
	if w := s.Warm; w != nil {
		return *w, nil
	}
	if t.Run.Warm != nil {
		return *t.Run.Warm, nil
	}
	return 0, nil
}

func (p *Project) invocation(ctx context.Context, t *recipe.Tool, ref string, req RunRequest, tty bool) (runner.Invocation, error) {
	id := runner.Caller(p.settings.UID, p.settings.GID, p.settings.Environ)
	p.adoptHome(t.Name)
	if err := id.Prepare(p.settings.StateDir, p.Key(), t.Name); err != nil {
		return runner.Invocation{}, err
	}
	inv := runner.Invocation{
		Project:    p.Recipe.Name,
		Key:        p.Key(),
		Labels:     p.Owned(),
		Root:       p.Root,
		Tool:       t,
		Image:      ref,
		Args:       req.Args,
		Entrypoint: req.Entrypoint,
		Cwd:        realPath(p.settings.Cwd),
		HostEnv:    p.settings.Environ,
		TTY:        tty,
		Identity:   id,
		Launcher:   p.settings.Launcher,
	}
	inv.Direct, inv.NoDirect = p.directPath()
	inv.Local = localEngine(p.engine.DaemonHost()) == "" && p.settings.Helper.Path != ""
	hostPaths, err := p.hostPaths(t, req)
	if err != nil {
		return inv, err
	}
	inv.HostPaths = hostPaths
	if recipe.Flag(t.Run.Docker, false) {
		sock, err := engineSocket(p.engine.DaemonHost(), t.Name)
		if err != nil {
			return inv, err
		}
		inv.EngineSocket = sock
	}
	return inv, p.keepID(ctx, &inv)
}

// hostPaths are the host paths outside the project that req's arguments
// and t's path variables name, as t's host_paths allows; none where the
// Engine is not on this host, whose paths a bind would name there.
func (p *Project) hostPaths(t *recipe.Tool, req RunRequest) ([]hostargs.Path, error) {
	mode := t.Run.HostPathMode()
	if !isSocket(p.engine.DaemonHost()) {
		return nil, nil
	}
	call := hostargs.Call{
		Args: req.Args, Environ: p.settings.Environ, PathEnv: t.Run.PathEnv, Cwd: realPath(p.settings.Cwd), Mode: mode,
		Inside: func(path string) bool { return safefile.IsWithin(p.Root, path) },
	}
	if mode == hostargs.Off {
		if unseen := hostargs.Unseen(call); len(unseen) > 0 {
			fmt.Fprintf(p.settings.Stderr, "tbx: warning: tool %s: %s: outside the project, where the tool does not see it (its recipe has no host_paths = \"args\"); name a path in the project, or let the recipe allow it\n", t.Name, strings.Join(unseen, ", "))
		}
	}
	found, err := hostargs.Find(call)
	if err != nil {
		return nil, exit.Errorf(exit.Failed, "tool %s: %v", t.Name, err)
	}
	if p.settings.Debug != nil {
		for _, hp := range found {
			fmt.Fprintf(p.settings.Debug, "tbx: debug: %s: %s is mounted at %s for this run (write: %v)\n", hp.From, hp.Real, hp.Named, hp.Write)
		}
	}
	return found, nil
}

// keepID keeps the caller the owner of what a tool writes when the Engine
// is a rootless Podman of the caller's, and says so under --debug.
func (p *Project) keepID(ctx context.Context, inv *runner.Invocation) error {
	rl, err := engine.FindRootless(ctx, p.engine, p.settings.UID)
	if err != nil || rl == nil {
		return err
	}
	inv.KeepID = true
	if p.settings.Debug != nil {
		fmt.Fprintf(p.settings.Debug, "tbx: debug: the Engine is a rootless Podman %s of yours: the caller's uid is kept on the host (keep-id)\n", rl.Podman)
	}
	return nil
}

// adoptHome moves a tool's HOME from where an older tbx kept it, under the
// project's name alone, to where it is kept now, under the project's key:
// once, with a note. A second checkout of the same name starts afresh.
func (p *Project) adoptHome(tool string) {
	old := filepath.Join(p.settings.StateDir, "home", p.Recipe.Name, tool)
	now := runner.HomeDir(p.settings.StateDir, p.Key(), tool)
	if _, err := os.Lstat(old); err != nil {
		return
	}
	if _, err := os.Lstat(now); err == nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(now), 0o700); err != nil {
		return
	}
	if os.Rename(old, now) == nil {
		fmt.Fprintf(p.settings.Stderr, "tbx: moved the HOME of tool %s from %s to %s: HOMEs are now kept per checkout\n", tool, old, now)
	}
}

// directPath is the directory under which warm containers serve their
// helper's socket, or "" and why there is none: the helper's socket must be
// on this host's file system and reach the container's.
func (p *Project) directPath() (dir, why string) {
	if p.settings.NoDirect {
		return "", "TBX_DIRECT=0"
	}
	if why := localEngine(p.engine.DaemonHost()); why != "" {
		return "", why
	}
	return filepath.Join(p.settings.StateDir, "direct"), ""
}

// localEngine says why the paths of the Engine at host are not this
// host's, or "" when they are: Linux with a local Engine outside a VM.
func localEngine(host string) string {
	switch {
	case runtime.GOOS != "linux":
		return "the Engine runs in a VM on " + runtime.GOOS + ", where a socket of the host cannot be shared with a container"
	case !isSocket(host):
		return "the Engine is at " + host + ", not on this host"
	case strings.Contains(host, "/.docker/desktop/"):
		return "Docker Desktop runs the Engine in a VM, where a socket of the host cannot be shared with a container"
	}
	return ""
}

// engineSocket is the host path of the Engine's socket, for a tool with
// docker = true.
func engineSocket(host, tool string) (string, error) {
	sock, ok := engine.SocketPath(host)
	if !ok {
		return "", exit.Errorf(exit.Failed, "tool %s has docker = true, which mounts the Engine's unix socket, but the Engine is at %s; point DOCKER_HOST at a unix socket", tool, host)
	}
	return sock, nil
}

func isSocket(host string) bool {
	_, ok := engine.SocketPath(host)
	return ok
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
