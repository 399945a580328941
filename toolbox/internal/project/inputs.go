package project

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/tbx-dev/tbx/toolbox/internal/contenthash"
	"github.com/tbx-dev/tbx/toolbox/internal/lockfile"
	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/acquire"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
	"github.com/tbx-dev/tbx/toolbox/internal/route"
)

// maxInputFiles bounds what a call's inputs list: a project whose builds
// are given more files than this (what their ignore rules keep) is found
// the whole way on every call.
const maxInputFiles = 5000

// Inputs are what a call of a tool depends on, computed in one place from
// the same reading that trust judges: any change of one may change what
// tbx decides, so a decision kept for later (a route) holds only while
// every one is as it was. --debug lists them.
type Inputs struct {
	// Files are the recipe (as named and as found), the lock, the trust
	// record, tbx's binaries (the helper, the core, the front) and the
	// Docker client's configuration (its current context).
	Files []string
	// Context are every file the builds are given, as their ignore rules
	// keep them: often thousands, which a watcher may keep for the front.
	Context []string
	// Absent are the places discovery found no recipe on its way up from
	// the working directory: one that appears there is the recipe.
	Absent []string
	// Links are every host path the recipe names, the project's root and
	// the working directory, each with where it led and the device and
	// inode of what was there (route.Lead; "" nowhere): a container
	// started before a path was replaced at the same name does not see
	// the new one.
	Links map[string]string
	// Env are the names and patterns of the variables the tool's env rules
	// pass; tbx's own variables are always watched besides.
	Env []string

	cwd string // the call's working directory, among Links unless the recipe names it too
}

// inputs are the inputs of a call of tool; false when there are too many
// files to keep track of.
func (p *Project) inputs(tool *recipe.Tool) (Inputs, bool) {
	s := p.settings
	in := Inputs{
		Files:  append([]string{p.Recipe.Path, p.Now.Recipe, lockfile.Path(p.Recipe.Path), p.store.RecordFile(p.Now.Recipe), s.Helper.Path, s.DockerConfig}, s.Binaries...),
		Absent: p.passed,
		Links:  map[string]string{},
		Env:    ruleNames(tool),
	}
	for path := range p.Now.Paths {
		in.Links[path] = route.Lead(path)
	}
	in.Links[p.Recipe.Dir] = route.Lead(p.Root)
	if _, named := in.Links[s.Cwd]; !named {
		in.Links[s.Cwd], in.cwd = route.Lead(s.Cwd), s.Cwd
	}
	for _, t := range p.Recipe.Tools {
		in.Files = append(in.Files, t.Signers...)
		if t.Build == "" {
			continue
		}
		files, err := contenthash.ContextFiles(acquire.Inputs(t, ""), maxInputFiles-len(in.Context))
		if err != nil {
			return in, false // too many, or unreadable: found the whole way on every call
		}
		in.Context = append(in.Context, files...)
	}
	seen := map[string]bool{"": true} // the recipe is often its own real path, the Dockerfile in its context
	unseen := func(f string) bool {
		dup := seen[f]
		seen[f] = true
		return dup
	}
	in.Files = slices.DeleteFunc(in.Files, unseen)
	in.Context = slices.DeleteFunc(in.Context, unseen)
	return in, true
}

// spareDigest sums the inputs of a tool's runs from any working directory
// of the project, as they are now: the stamps of the files, where each
// path the recipe names leads, and the rules' variables' names. The
// working directory, and the places on the way up from it where a nearer
// recipe would appear, are the call's: a spare serves every directory of
// its project (its run is told its directory), and the route the front
// keeps for each call holds those too.
func (in Inputs) spareDigest() string {
	h := sha256.New()
	for _, f := range append(append([]string{}, in.Files...), in.Context...) {
		b, _ := json.Marshal(route.StampOf(f))
		h.Write(b)
	}
	links := maps.Clone(in.Links)
	delete(links, in.cwd)
	b, _ := json.Marshal(struct {
		Links map[string]string
		Env   []string
	}{links, in.Env})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// describe says, under --debug, what the call depends on.
func (in Inputs) describe(w io.Writer) {
	fmt.Fprintf(w, "tbx: debug: this call depends on %d files (%s, …) and %d the builds are given, no recipe appearing in %d directories on the way up, where %d paths lead, and the variables TBX_*, DOCKER_*, XDG_*, SSH_*, HOME, USER, LOGNAME, TERM, *_PROXY%s\n",
		len(in.Files), strings.Join(in.Files[:min(3, len(in.Files))], ", "), len(in.Context), len(in.Absent), len(in.Links), strings.Join(append([]string{""}, in.Env...), ", "))
}

// ruleNames are the names and patterns of tool's env rules (its path
// variables, path_env, among them).
func ruleNames(tool *recipe.Tool) []string {
	var names []string
	for _, rule := range tool.Run.Env {
		name, _, _ := strings.Cut(rule, "=")
		names = append(names, name)
	}
	return names
}
