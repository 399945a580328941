package project

import (
	"slices"

	"github.com/tbx-dev/tbx/toolbox/internal/direct"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
	"github.com/tbx-dev/tbx/toolbox/internal/route"
)

// rememberer returns what the runner calls once the helper's socket has
// served a call of command with args: it writes the call's route, so that
// tbx's front starts the next identical call without the recipe or the
// Engine while every input of the call (Inputs) is as it was. A call with
// flags that the front does not read (--file, --debug, --trust, --tool) is
// not remembered.
// A spare's route says so: the front has the next spare made after the run.
func (p *Project) rememberer(tool *recipe.Tool, req RunRequest, tty, spare bool) func(socket string, server int, sent direct.Request) {
	s := p.settings
	if req.Tool != "" || len(req.Entrypoint) > 0 || s.File != "" || s.Debug != nil || s.TrustOnce || len(req.Args) == 0 {
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
		stamps := make([]route.Stamp, 0, len(in.Files)+len(in.Absent))
		for _, f := range append(in.Files, in.Absent...) {
			stamps = append(stamps, route.StampOf(f))
		}
		r := route.Route{Socket: socket, Server: server, Prefix: sent.Argv[:n], Request: sent, Stamps: stamps, Links: in.Links, Rules: in.Env}
		r.Request.Argv = nil
		if spare {
			r.Spare = tool.Name
		}
		call := route.Call{Cwd: s.Cwd, Command: req.Args[0], TTY: tty, Environ: s.Environ, UID: s.UID, GID: s.GID}
		_ = route.Write(s.StateDir, call, r) // a route is only a shortcut
	}
}
