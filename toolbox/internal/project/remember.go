package project

import (
	"slices"

	"github.com/distribution/reference"

	"github.com/tbx-dev/tbx/toolbox/internal/direct"
	"github.com/tbx-dev/tbx/toolbox/internal/hostargs"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
	"github.com/tbx-dev/tbx/toolbox/internal/route"
	"github.com/tbx-dev/tbx/toolbox/internal/watch"
)

// rememberer returns what the runner calls once the helper's socket has
// served a call of command with args: it writes the call's route, so that
// tbx's front starts the next identical call without the recipe or the
// Engine while every input of the call (Inputs) is as it was. A call with
// flags that the front does not read (--file, --debug, --trust, --tool) is
// not remembered, nor is a call of a tool whose image is found by a tag
// (followsTag).
// A spare's route says so: the front has the next spare made after the run.
func (p *Project) rememberer(tool *recipe.Tool, ref string, req RunRequest, tty, spare bool) func(socket string, server int, sent direct.Request) {
	s := p.settings
	if req.Tool != "" || len(req.Entrypoint) > 0 || s.File != "" || s.Debug != nil || s.TrustOnce || len(req.Args) == 0 || followsTag(tool, ref) {
		return nil
	}
	return func(socket string, server int, sent direct.Request) {
		n := len(sent.Argv) - len(req.Args)
		if n < 0 || !slices.Equal(sent.Argv[n:], req.Args) {
			return
		}
		in, ok := p.inputs(tool)
		if !ok {
			return
		}
		stamps := route.StampsOf(append(append([]string{}, in.Files...), in.Absent...))
		r := route.Route{Socket: socket, Server: server, Prefix: sent.Argv[:n], Request: sent, Stamps: stamps, Links: in.Links, Rules: in.Env, HostArgs: tool.Run.HostPathMode() != hostargs.Off, Root: p.Root}
		p.watchContext(&r, in.Context)
		r.Request.Argv = nil
		if spare {
			r.Spare = tool.Name
		}
		call := route.Call{Cwd: s.Cwd, Command: req.Args[0], TTY: tty, Environ: s.Environ, UID: s.UID, GID: s.GID}
		_ = route.Write(s.StateDir, call, r) // a route is only a shortcut
	}
}

// followsTag reports whether tool's image, ref, is whatever the Engine has
// under a tag: a pulled tool that neither the lock nor the recipe pins by
// digest. Anyone can move such a tag (docker pull, docker tag), and only
// the Engine knows where it is now, which the front does not ask: its
// calls go the whole way, where a moved tag makes a new container. A
// built tool's tag is its inputs' hash, which the route stamps, and its
// containers run the image tbx built, by ID.
func followsTag(tool *recipe.Tool, ref string) bool {
	if tool.Build != "" {
		return false
	}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return true
	}
	_, pinned := named.(reference.Digested)
	return !pinned
}

// watchMin is the number of build files past which a route has a watcher
// keep them: below it, stamping them costs the front less than asking.
const watchMin = 64

// watchContext puts the stamps of the builds' files in r: as a watcher's,
// started here unless one runs, past watchMin files, else among the
// front's own. A watcher that cannot start costs the front its stamping.
func (p *Project) watchContext(r *route.Route, files []string) {
	stamps := route.StampsOf(files)
	if len(files) < watchMin || p.settings.Front == "" {
		r.Stamps = append(r.Stamps, stamps...)
		return
	}
	r.Watched, r.WatchKey = stamps, route.Digest(stamps)
	_ = watch.Start(p.settings.Front, p.settings.StateDir, r.WatchKey, files)
}
