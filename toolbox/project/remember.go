package project

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tbx-dev/tbx/toolbox/direct"
	"github.com/tbx-dev/tbx/toolbox/lockfile"
	"github.com/tbx-dev/tbx/toolbox/recipe"
	"github.com/tbx-dev/tbx/toolbox/route"
)

// maxStamps bounds what a route stamps: a project whose builds are given
// more files than this is found the whole way on every call.
const maxStamps = 5000

// rememberer returns what the runner calls once the helper's socket has
// served a call of command with args: it writes the call's route, so that
// tbx's front starts the next identical call without the recipe or the
// Engine. A call with flags that the front does not read (--file, --debug,
// --trust, --tool) is not remembered.
func (p *Project) rememberer(tool *recipe.Tool, req RunRequest, tty bool) func(socket string, sent direct.Request) {
	s := p.settings
	if req.Tool != "" || len(req.Entrypoint) > 0 || s.File != "" || s.Debug != nil || s.TrustOnce || len(req.Args) == 0 {
		return nil
	}
	return func(socket string, sent direct.Request) {
		n := len(sent.Argv) - len(req.Args)
		if n < 0 || !slices.Equal(sent.Argv[n:], req.Args) {
			return
		}
		stamps, ok := p.stamps()
		if !ok {
			return
		}
		r := route.Route{Socket: socket, Prefix: sent.Argv[:n], Request: sent, Stamps: stamps, Links: p.Now.Paths, Rules: ruleNames(tool)}
		r.Request.Argv = nil
		call := route.Call{Cwd: s.Cwd, Command: req.Args[0], TTY: tty, Environ: s.Environ}
		_ = route.Write(s.StateDir, call, r) // a route is only a shortcut
	}
}

// stamps are the files whose change could change what a call does: the
// recipe, the lock, the trust record, what every build is given, tbx's own
// binaries and the Docker client's configuration (its current context).
func (p *Project) stamps() ([]route.Stamp, bool) {
	paths := []string{p.Recipe.Path, p.Now.Recipe, lockfile.Path(p.Recipe.Path), p.store.RecordFile(p.Now.Recipe), p.settings.Helper.Path, dockerConfig()}
	if self, err := os.Executable(); err == nil {
		paths = append(paths, self)
	}
	for _, t := range p.Recipe.Tools {
		if t.Build == "" {
			continue
		}
		paths = append(paths, filepath.Join(t.Build, orDockerfile(t)))
		if !walkInto(t.Build, &paths) {
			return nil, false
		}
	}
	stamps := make([]route.Stamp, 0, len(paths))
	for _, path := range paths {
		if path != "" {
			stamps = append(stamps, route.StampOf(path))
		}
	}
	return stamps, true
}

// ruleNames are the names and patterns of tool's env rules.
func ruleNames(tool *recipe.Tool) []string {
	var names []string
	for _, rule := range tool.Run.Env {
		name, _, _ := strings.Cut(rule, "=")
		names = append(names, name)
	}
	return names
}

func orDockerfile(t *recipe.Tool) string {
	if t.Dockerfile != "" {
		return t.Dockerfile
	}
	return "Dockerfile"
}

// walkInto adds every entry under dir to paths; false when there are more
// than maxStamps in all.
func walkInto(dir string, paths *[]string) bool {
	err := filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		*paths = append(*paths, path)
		if len(*paths) > maxStamps {
			return fs.SkipAll
		}
		return nil
	})
	return err == nil && len(*paths) <= maxStamps
}

// dockerConfig is the Docker client's configuration file, which names the
// current context.
func dockerConfig() string {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".docker", "config.json")
}
